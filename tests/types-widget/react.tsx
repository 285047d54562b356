// Typical use of pilot-connect-widget/react (React 19 types), and wrong use that must not compile.
import { useRef, useState, StrictMode } from "react";
import { PilotConnect } from "pilot-connect-widget/react";
import type { PilotConnectProps, PilotConnectRef } from "pilot-connect-widget/react";
import { defineCustomElement, type PilotConnectElement } from "pilot-connect-widget";

defineCustomElement();

export function Connect({ token }: { token: string }) {
  const ref = useRef<PilotConnectRef>(null);
  const [state, setState] = useState("idle");
  const props: PilotConnectProps = { endpoint: "/connect", token };
  return (
    <StrictMode>
      <PilotConnect
        ref={ref}
        endpoint="https://connect.example.com"
        token={token}
        getToken={async () => "fresh"}
        locale="pt-BR"
        mode="auto"
        appearance={{ variant: "plain", theme: "auto" }}
        messages={{ title: "Conecte" }}
        maxAttempts={4}
        onReady={() => undefined}
        onStateChange={(e) => setState(e.state)}
        onQr={(e) => console.log(e.pairingCode, e.maskedNumber)}
        onConnected={({ numberId }) => console.log(numberId)}
        onExpired={() => ref.current?.restart()}
        onError={(e) => console.log(e.kind)}
        className="wa"
        style={{ maxWidth: 480 }}
      />
      <PilotConnect {...props} />
      <button onClick={() => ref.current?.update({ locale: "en" })}>{state}</button>
      {/* @ts-expect-error endpoint is required */}
      <PilotConnect token="t" />
      {/* @ts-expect-error no such mode */}
      <PilotConnect endpoint="/c" token="t" mode="phone" />
      {/* @ts-expect-error the ref is a PilotConnectRef, not an element */}
      <PilotConnect endpoint="/c" token="t" ref={useRef<HTMLDivElement>(null)} />
    </StrictMode>
  );
}

export function Element({ token }: { token: string }) {
  const ref = useRef<PilotConnectElement>(null);
  return (
    <>
      <pilot-connect
        ref={ref}
        endpoint="https://connect.example.com"
        token={token}
        locale="es"
        theme="dark"
        variant="plain"
        mode="code"
        className="wa"
        getToken={async () => "fresh"}
        messages={{ title: "Conecta" }}
        appearance={{ variables: { colorPrimary: "#075e54" } }}
        options={{ maxAttempts: 3, onError: (e) => console.log(e.kind) }}
        onpilotconnectconnected={(e) => console.log(e.detail.numberId)}
        onpilotconnectqr={(e) => console.log(e.detail.codeExpiresInMs)}
        onpilotconnectstatechange={(e) => console.log(e.detail.state, ref.current?.state)}
        onpilotconnecterror={(e) => console.log(e.detail.retryAfterMs)}
        onpilotconnectready={() => undefined}
        onpilotconnectexpired={() => ref.current?.restart()}
      />
      {/* @ts-expect-error no such variant */}
      <pilot-connect variant="boxed" />
      {/* @ts-expect-error the event detail is typed */}
      <pilot-connect onpilotconnectconnected={(e) => e.detail.nope} />
      {/* @ts-expect-error options has no endpoint (it is an attribute) */}
      <pilot-connect options={{ endpoint: "/c" }} />
    </>
  );
}
