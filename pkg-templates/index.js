import { load } from "./loader.js";

/**
 * Mounts the connect widget into `target` (an Element or a CSS selector).
 * Resolves to a handle with `unmount()`, `mount(target)`, `destroy()`, `update({ locale, messages, appearance })`,
 * `restart()` and `state`.
 */
export async function mount(target, options) {
  const wasm = await load();
  return wasm.mount(target, options ?? {});
}

/** Loads the wasm ahead of time (optional). */
export async function preload() {
  await load();
}

export { defineCustomElement } from "./element.js";
