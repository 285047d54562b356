// Type-level checks of the hand-written index.d.ts (tsc --noEmit --strict): what a TypeScript
// user writes must compile, and the misuses marked @ts-expect-error must not.
import {
  PilotStatus, PilotStatusError, Secret, mintConnectToken, verifyConnectToken, verifyWebhook, signWebhook, relayWebhook,
  type ConnectResult, type NumberState, type WebhookEvent, type ErrorKind, type ErrorReason, type ProvisionEdgeResult, type RelayResult,
  type Branding, type UpdateBrandingInput,
} from "pilot-connect-server";

async function typical(): Promise<void> {
  const pilot = new PilotStatus({ apiKey: "ps_x", baseUrl: "http://127.0.0.1:8080", retry: { maxRetries: 3 }, fetch });
  const created = await pilot.numbers.create({ name: "Loja", number: "+5511999999999", settings: { alwaysOnline: null } });
  // The ids the contract always returns are plain strings: no `!`, no `?? ""`.
  const id: string = created.id;
  const sameId: string = created.instance.id;
  void sameId;
  const result: ConnectResult = await pilot.numbers.connect(id, { link: "secondary" });
  if (result.state === "pairing") {
    const qr: string | null = result.qr;
    const code: string | null = result.pairingCode;
    void qr; void code;
  } else {
    const done: "connected" = result.state;
    void done;
  }
  const status = await pilot.numbers.status("wa_1");
  const ready: boolean = status.ready;
  const state: NumberState = status.state;
  const future: NumberState = "SOMETHING_NEW"; // open enum
  void ready; void state; void future;
  const meta = await pilot.numbers.createMeta({ name: "M", number: "+5511988887777", metaPhoneId: "1", metaWabaId: "2", metaAccessToken: "t", metaAppSecret: "s", metaAppId: "3" });
  const vt: string | undefined = meta.webhook?.verifyToken?.reveal();
  void vt;
  const list = await pilot.numbers.list();
  list.forEach((n) => n.id.toUpperCase());
  const one = await pilot.numbers.get(id);
  const connected: boolean | undefined = one.ready;
  void connected;
  const link = await pilot.remotePairing.create({ provider: "META", metaFlow: "embedded" });
  await pilot.remotePairing.info(link.token ?? "");
  // A META link may have no number yet; a PILOT_STATUS link always names its number.
  const maybe: string | null = link.numberId;
  const paired = await pilot.remotePairing.create({ name: "Cliente", number: "+5511988887777" });
  const pairedId: string = paired.numberId;
  void maybe; void pairedId;
  const hook = await pilot.webhooks.create({ url: "https://app.example/hooks", events: ["number.connected"], whatsappNumberId: "wa_1" });
  await pilot.webhooks.update(hook.id, { active: false });
  const logs = await pilot.webhooks.logs(hook.id, { limit: 10 });
  logs.forEach((l) => l.statusCode);
  try {
    await pilot.numbers.purge("wa_1");
  } catch (e) {
    if (e instanceof PilotStatusError) {
      const k: ErrorKind = e.kind;
      const why: ErrorReason = e.reason;
      const wait: number | null = e.retryAfterMs;
      if (e.reason === "webhook_exists" || e.reason === "rate_limited") void e.details;
      void k; void why; void wait;
    }
  }
  // Environment variables pass as they are (string | undefined): an unset one is a
  // `configuration` error at run time, with the option's name, instead of a `!` that hides it.
  const env: Record<string, string | undefined> = {};
  const fromEnv = new PilotStatus({ apiKey: env.PS_API_KEY, baseUrl: env.PS_BASE_URL });
  void fromEnv;
  try {
    mintConnectToken({ secret: env.CONNECT_TOKEN_SECRET, numberId: "wa_1", audience: "edge" });
    verifyWebhook(env.PS_WEBHOOK_SECRET, "{}", null);
  } catch (e) {
    if (e instanceof PilotStatusError && e.kind === "configuration") void e.field;
  }
  const token: string = mintConnectToken({ secret: "s".repeat(32), numberId: "wa_1", audience: "edge", ttlSeconds: 60 });
  const claims = verifyConnectToken(token, { secret: "s".repeat(32), audience: "edge" });
  const sub: string = claims.sub;
  void sub;
  const ev: WebhookEvent = verifyWebhook(new Secret("whsec"), new Uint8Array(), signWebhook("s", "{}"));
  if (ev.kind === "number") {
    const numberId: string = ev.data.numberId;
    const dedup: string = ev.dedupKey;
    if (ev.event === "number.connected") void numberId;
    void dedup;
  }
}

async function edge(pilot: PilotStatus, env: Record<string, string | undefined>, raw: string, sig: string | null): Promise<void> {
  const named = await pilot.webhooks.create({ url: "https://connect.example/v1/hooks/pilot-status", events: ["number.connected"], whatsappNumberId: "wa_1", name: "pilot-connect edge" });
  const label: string | null | undefined = named.name;
  await pilot.webhooks.update(named.id, { name: "renamed" });
  void label;
  const p: ProvisionEdgeResult = await pilot.webhooks.provisionEdge({ whatsappNumberId: "wa_1", edgeUrl: env.PILOT_EDGE_URL });
  if (p.topology === "relay") {
    const theirs: string | undefined = p.webhook?.url; // the customer's, untouched (or null)
    void theirs;
  } else if (p.topology === "edge_in_front") {
    const forward: string = p.forwardWebhookUrl;
    void forward;
  } else {
    const id: string = p.webhook.id;
    void id;
  }
  await pilot.webhooks.provisionEdge({ whatsappNumberId: "wa_1", edgeUrl: "https://connect.example", mode: "edge_in_front", forwardTo: "https://api.example/hooks" });
  const r: RelayResult = await relayWebhook({ rawBody: raw, signature: sig, edgeUrl: env.PILOT_EDGE_URL, timeoutMs: 5000 });
  if (r.relayed) {
    const status: number = r.status;
    void status;
  } else {
    const why: "not_lifecycle" = r.reason;
    void why;
  }
  try {
    verifyWebhook("whsec", raw, sig);
  } catch (e) {
    if (e instanceof PilotStatusError && e.kind === "raw_body_required") void e.code;
    if (e instanceof PilotStatusError && e.kind === "edge") void e.status;
  }
  // @ts-expect-error edge in front needs forwardTo
  void pilot.webhooks.provisionEdge({ whatsappNumberId: "wa_1", edgeUrl: "https://connect.example", mode: "edge_in_front" });
  // @ts-expect-error forwardTo only with edge_in_front
  void pilot.webhooks.provisionEdge({ whatsappNumberId: "wa_1", edgeUrl: "https://connect.example", forwardTo: "https://api.example/hooks" });
  // @ts-expect-error there is no mode "instead"
  void pilot.webhooks.provisionEdge({ whatsappNumberId: "wa_1", edgeUrl: "https://connect.example", mode: "instead" });
  // @ts-expect-error relayWebhook needs the edge URL
  void relayWebhook({ rawBody: raw, signature: sig });
  // @ts-expect-error a parsed body is not a raw body
  void relayWebhook({ rawBody: { event: "number.connected" }, signature: sig, edgeUrl: "https://connect.example" });
}

function misuse(pilot: PilotStatus): void {
  // @ts-expect-error both credentials at once
  new PilotStatus({ apiKey: "ps_x", apiKeyId: "k" });
  // @ts-expect-error number is required
  void pilot.numbers.create({ name: "Loja" });
  // @ts-expect-error link is primary | secondary
  void pilot.numbers.connect("wa_1", { link: "third" });
  // @ts-expect-error ids are strings
  void pilot.numbers.get(42);
  // @ts-expect-error the token needs an audience
  mintConnectToken({ secret: "s", numberId: "wa_1" });
  // @ts-expect-error an empty events list dispatches nothing
  void pilot.webhooks.create({ url: "https://a.example/h", events: [] });
  // @ts-expect-error an update needs at least one change
  void pilot.webhooks.update("wh_1", {});
  // @ts-expect-error numbers is read-only
  pilot.numbers = pilot.numbers;
}

function reasons(e: PilotStatusError, created: Awaited<ReturnType<PilotStatus["numbers"]["create"]>>): void {
  // @ts-expect-error not a reason of the table (a typo is caught at compile time)
  if (e.reason === "webhook_exist") void e;
  // @ts-expect-error the created number's id is a string, never null
  const none: null = created.id;
  void none;
  // @ts-expect-error reason is read-only
  e.reason = "internal";
}

async function branding(pilot: PilotStatus): Promise<void> {
  const current: Branding = await pilot.branding.get();
  const name: string | undefined = current.companyName;
  const hidden: boolean | undefined = current.hidePilotStatusBranding;
  void name; void hidden; void current.somethingNew; // unknown fields stay readable
  const changes: UpdateBrandingInput = { companyName: "Acme", logoUrl: null, hidePilotStatusBranding: false };
  const after: Branding = await pilot.branding.update(changes);
  void after;
  // The link's snapshot is a Branding, under either documented name.
  const snapshot: Branding = { companyName: "Acme", primaryColor: "#0A84FF" };
  const link = await pilot.remotePairing.create({ name: "Cliente", number: "+5511988887777", branding: snapshot });
  const id: string = link.numberId;
  void id;
  await pilot.remotePairing.create({ provider: "META", brandingOverride: snapshot });
  const info = await pilot.remotePairing.info(link.token ?? "");
  const linkBranding: Branding | undefined = info.branding;
  void linkBranding;
  // @ts-expect-error companyName is a string (or null to clear it)
  void pilot.branding.update({ companyName: 42 });
  // @ts-expect-error hidePilotStatusBranding is a boolean
  void pilot.branding.update({ hidePilotStatusBranding: "yes" });
  // @ts-expect-error a snapshot is an object of branding fields
  void pilot.remotePairing.create({ name: "Cliente", number: "+5511988887777", branding: "Acme" });
  // @ts-expect-error one name or the other, not both
  void pilot.remotePairing.create({ name: "Cliente", number: "+5511988887777", branding: snapshot, brandingOverride: snapshot });
  // @ts-expect-error a snapshot's fields are typed: companyName is a string
  void pilot.remotePairing.create({ provider: "META", branding: { companyName: 42 } });
  // @ts-expect-error branding is read-only
  pilot.branding = pilot.branding;
}

void typical; void misuse; void edge; void reasons; void branding;
