import { mount, defineCustomElement } from "pilot-connect-widget";

// The test injects the worker URL and two connect tokens before the page runs.
const cfg = window.__E2E;
window.__plain = await mount("#plain", { endpoint: cfg.endpoint, token: cfg.tokenA, locale: "en" });
defineCustomElement();
const el = document.createElement("pilot-connect");
el.setAttribute("endpoint", cfg.endpoint);
el.setAttribute("token", cfg.tokenB);
el.setAttribute("locale", "es");
el.id = "element";
document.getElementById("slot").append(el);
