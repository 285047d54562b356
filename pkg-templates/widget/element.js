// `pilot-connect-widget/element`: the custom element alone (defined in the entry module).
export { defineCustomElement } from "./index.js";
