"use client";
// <PilotConnect> for a Meta signup link: every token from the app's route handler, which gives the
// customer's pending link (or a new one once it expired): "Continue with Facebook" until the edge
// says connected.
import { useState } from "react";
import { PilotConnect } from "pilot-connect-widget/react";
import type { ConnectedEvent, WidgetState } from "pilot-connect-widget";

interface Log {
  states: WidgetState[];
  connected: ConnectedEvent[];
  errors: unknown[];
  tokens: number;
}

declare global {
  interface Window {
    __official?: Log;
  }
}

function log(): Log {
  window.__official ??= { states: [], connected: [], errors: [], tokens: 0 };
  return window.__official;
}

export function OfficialWidget({ endpoint, customerId }: { endpoint: string; customerId: string }) {
  const [state, setState] = useState<WidgetState | "none">("none");
  return (
    <section id="official-slot">
      <PilotConnect
        className="widget"
        endpoint={endpoint}
        getToken={async () => {
          log().tokens += 1;
          const r = await fetch("/api/meta-links", {
            method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ customerId }),
          });
          if (!r.ok) throw new Error(`POST /api/meta-links answered ${r.status}`);
          return ((await r.json()) as { token: string }).token;
        }}
        locale="pt-BR"
        onStateChange={(e) => {
          log().states.push(e.state);
          setState(e.state);
        }}
        onConnected={(e) => { log().connected.push(e); }}
        onError={(e) => { log().errors.push(e); }}
      />
      <p>
        Widget state: <output id="official-state">{state}</output>
      </p>
    </section>
  );
}
