// The README's "<pilot-connect> in React 19 JSX" example: the typings come from
// `import type {} from "pilot-connect-widget/react"` alone (no runtime import of the component).
import { defineCustomElement } from "pilot-connect-widget/element";
import type {} from "pilot-connect-widget/react";
defineCustomElement();

export function Connect({ token }: { token: string }) {
  return (
    <pilot-connect
      endpoint="https://connect.example.com"
      token={token}
      variant="plain"
      getToken={async () => (await (await fetch("/api/connect-token", { method: "POST" })).json()).token}
      messages={{ title: "Conecte o WhatsApp da loja" }}
      onpilotconnectconnected={(e) => console.log(e.detail.numberId)}
    />
  );
}
