// Importing the package in Node (no window, no document) must not throw or load wasm.
const mod = await import("pilot-connect-widget");
const el = await import("pilot-connect-widget/element");
if (typeof mod.mount !== "function" || typeof el.defineCustomElement !== "function") throw new Error("exports missing");
el.defineCustomElement(); // a no-op without customElements
console.log("ssr-safe import: ok");
