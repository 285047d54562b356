"use client";
// `pilot-connect-widget/react`: <PilotConnect>, the widget as a React component (React >= 18).
// Plain JS (no JSX build step). Renders one empty <div> (also on the server) and mounts the widget
// into it in an effect; mount() returns its handle at once and a destroy() before the widget is
// ready cancels it, so StrictMode's mount → cleanup → mount leaves one widget, one request, one socket.
import { createElement, forwardRef, useEffect, useImperativeHandle, useInsertionEffect, useRef } from "react";
import { CALLBACKS, mount } from "./index.js";

// <tables> generated from the widget's Rust tables (widget/src/types.rs): edit them there
// The numeric options, all fixed at mount: a change re-mounts.
const NUMBERS = ["maxAttempts", "pollIntervalMs", "requestTimeoutMs"];
// The options update() changes in place, each with what stands for "not given".
const LOOK = { locale: "auto", mode: "auto", messages: {}, appearance: {}, branding: {}, nextStep: null };
// </tables>

/** What update() can change in place (`LOOK`), as one comparable key (plain data: inline objects are fine). */
const lookOf = (p) => Object.fromEntries(Object.entries(LOOK).map(([k, none]) => [k, p[k] ?? none]));

export const PilotConnect = forwardRef(function PilotConnect(props, ref) {
  const host = useRef(null);
  const handle = useRef(null);
  const latest = useRef(props);
  const applied = useRef("");
  // The latest props for the callbacks and getToken, before any effect of this render runs.
  useInsertionEffect(() => { latest.current = props; });

  const { endpoint, token } = props;
  const numbers = NUMBERS.map((k) => props[k]);
  const hasGetToken = typeof props.getToken === "function";
  const look = lookOf(props);
  const lookKey = JSON.stringify(look);

  // Re-mounted only when what is fixed at mount changes; callbacks and getToken are read through refs.
  useEffect(() => {
    // A token may come later (fetched by the page); a missing endpoint is a mistake, so it goes to
    // mount(), whose error says so in the console.
    if (!host.current || (!token && !hasGetToken)) return undefined;
    const opts = { endpoint, token: token || undefined, ...lookOf(latest.current) };
    NUMBERS.forEach((k, i) => { opts[k] = numbers[i]; });
    if (hasGetToken) opts.getToken = () => latest.current.getToken();
    for (const k of CALLBACKS) opts[k] = (e) => latest.current[k]?.(e);
    const h = mount(host.current, opts);
    handle.current = h;
    applied.current = JSON.stringify(lookOf(latest.current));
    h.catch((e) => console.error(e));
    return () => {
      h.destroy();
      if (handle.current === h) handle.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the numbers are listed one by one
  }, [endpoint, token, hasGetToken, ...numbers]);

  // locale / mode / messages / appearance / branding / nextStep: in place.
  useEffect(() => {
    const h = handle.current;
    if (!h || applied.current === lookKey) return;
    applied.current = lookKey;
    // A bad value (a branding colour from a setting, say) is logged and changes nothing: it must
    // not unmount the app around the widget.
    try { h.update(look); } catch (e) { console.error(e); }
  }, [lookKey]);

  useImperativeHandle(ref, () => ({
    get state() { return handle.current?.state ?? "idle"; },
    restart() { handle.current?.restart(); },
    update(options) { handle.current?.update(options); },
  }), []);

  return createElement("div", { ref: host, className: props.className, style: props.style, id: props.id });
});
