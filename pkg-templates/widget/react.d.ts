// `pilot-connect-widget/react`: <PilotConnect> and the JSX typings of <pilot-connect>.
// The only file of the package that refers to React's types (`@types/react`, React >= 18).
import type * as React from "react";
import type {
  Appearance, MountOptions, PilotConnectEventDetails, PilotConnectEventName, PilotConnectMessages, UpdateOptions,
  WidgetMode, WidgetState,
} from "./index.js";
import type { PilotConnectElement, PilotConnectElementOptions } from "./element.js";

/**
 * `<PilotConnect>`'s props: every `mount()` option, plus the host `<div>`'s `className`, `style`, `id`.
 * The widget re-mounts only when `endpoint`, `token`, `maxAttempts`, `pollIntervalMs` or
 * `requestTimeoutMs` change, or `getToken` is added or removed; `locale`, `mode`, `messages`,
 * `appearance`, `branding` and `nextStep` update it in place (compared by value: inline objects are fine); the callbacks and
 * `getToken` are always the latest ones passed (changing them re-mounts nothing). To start over
 * with another number, change the component's `key`.
 */
export interface PilotConnectProps extends MountOptions {
  className?: string;
  style?: React.CSSProperties;
  id?: string;
}

/** What a `ref` on `<PilotConnect>` reaches (the component owns mounting and destroying). */
export interface PilotConnectRef {
  /** `idle` until the widget is mounted. */
  readonly state: WidgetState | "unmounted";
  /** A fresh code now, with a fresh attempt budget. */
  restart(): void;
  update(options: UpdateOptions): void;
}

/**
 * The connect widget as a React component: renders an empty `<div>` (also on the server: SSR-safe)
 * and mounts the widget into it on the client. StrictMode-safe: one widget, one request per
 * code, one socket, one `onConnected`.
 */
export const PilotConnect: React.ForwardRefExoticComponent<PilotConnectProps & React.RefAttributes<PilotConnectRef>>;

/**
 * `<pilot-connect>`'s React 19 event props: `onpilotconnect<name>` (React 19 adds them as listeners),
 * mapped from the generated event tables.
 */
export interface PilotConnectElementEventProps extends PilotConnectElementEventHandlers {}
/** {@link PilotConnectElementEventProps}'s members. */
export type PilotConnectElementEventHandlers = {
  [K in PilotConnectEventName as `onpilotconnect${K}`]?: (event: CustomEvent<PilotConnectEventDetails[K]>) => void;
};

/**
 * `<pilot-connect>` in JSX. Attributes: `endpoint`, `token`, `locale`, `theme`, `variant`, `mode`.
 * Properties (React 19 sets them as properties once `defineCustomElement()` ran): `getToken`,
 * `messages`, `appearance`, `options`.
 */
export interface PilotConnectElementProps
  extends React.DetailedHTMLProps<React.HTMLAttributes<PilotConnectElement>, PilotConnectElement>, PilotConnectElementEventProps {
  endpoint?: string;
  token?: string;
  locale?: string;
  theme?: "light" | "dark" | "auto";
  variant?: "card" | "plain";
  mode?: WidgetMode;
  getToken?: () => string | Promise<string>;
  messages?: PilotConnectMessages;
  appearance?: Appearance;
  options?: PilotConnectElementOptions;
}

declare module "react" {
  namespace JSX {
    interface IntrinsicElements {
      "pilot-connect": PilotConnectElementProps;
    }
  }
}
