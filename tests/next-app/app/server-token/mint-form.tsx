"use client";
// The form that calls the Server Action and shows what it answered.
import { useActionState } from "react";
import { mintAction } from "./actions";

export function MintForm({ numberId }: { numberId: string }) {
  const [minted, action, pending] = useActionState(mintAction, null);
  return (
    <form action={action}>
      <input type="hidden" name="numberId" value={numberId} />
      <button id="action-mint" type="submit" disabled={pending}>Mint in a Server Action</button>
      {minted && (
        <p>
          Action token: <output id="action-token">{minted.token}</output>{" "}
          (<output id="action-numbers">{minted.numbers.join(",")}</output>)
        </p>
      )}
    </form>
  );
}
