// Loads the wasm only on first use, so importing the package touches no window/document and
// fetches nothing (safe under SSR).
let loading = null;

export function load() {
  if (!loading) {
    loading = import("./pilot_connect.js").then(async (m) => {
      await m.default({ module_or_path: new URL("./pilot_connect_bg.wasm", import.meta.url) });
      return m;
    });
    loading.catch(() => { loading = null; });
  }
  return loading;
}
