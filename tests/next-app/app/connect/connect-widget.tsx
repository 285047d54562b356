"use client";
// <PilotConnect> in a client component: each token (the first one and any renewal) from the app's
// own route handler (POST /api/connect-token). `getToken` and the callbacks are inline and the
// component re-renders on every state change, as an app's would: nothing of that re-mounts.
import { useState } from "react";
import { PilotConnect } from "pilot-connect-widget/react";
import type { ConnectedEvent, QrEvent, WidgetState } from "pilot-connect-widget";

interface Log {
  states: WidgetState[];
  qr: QrEvent[];
  connected: ConnectedEvent[];
  errors: unknown[];
  tokens: number;
}

declare global {
  interface Window {
    __rec?: Log;
  }
}

// What the browser test reads back: every callback, in order.
function log(): Log {
  window.__rec ??= { states: [], qr: [], connected: [], errors: [], tokens: 0 };
  return window.__rec;
}

export function ConnectWidget({ endpoint, numberId }: { endpoint: string; numberId: string }) {
  const [state, setState] = useState<WidgetState | "none">("none");
  return (
    <section id="connect-slot">
      <PilotConnect
        className="widget"
        endpoint={endpoint}
        getToken={async () => {
          log().tokens += 1;
          const r = await fetch("/api/connect-token", {
            method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ numberId }),
          });
          if (!r.ok) throw new Error(`POST /api/connect-token answered ${r.status}`);
          return ((await r.json()) as { token: string }).token;
        }}
        locale="en"
        maxAttempts={30}
        onStateChange={(e) => {
          log().states.push(e.state);
          setState(e.state);
        }}
        onQr={(e) => { log().qr.push(e); }}
        onConnected={(e) => { log().connected.push(e); }}
        onError={(e) => { log().errors.push(e); }}
      />
      <p>
        Widget state: <output id="connect-state">{state}</output>
      </p>
    </section>
  );
}
