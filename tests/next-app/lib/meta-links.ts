// Official numbers: Meta signup links, matched to your customers by your backend alone.
// pilot-connect-server's README ("Official numbers: Meta signup links") shows this file as it is.
// tests/express-app/test/meta-links.test.mjs and tests/next-app/test/meta-links.test.mjs run it
// against the sandbox, with the flags that play each undocumented behaviour (docs/meta-inferences.md).
//
// 1. create(): a Meta pairing link for your customer (externalRef = the customer's id), a pending
//    record, and a connect token for the widget. The person may close the tab at any point.
// 2. onWebhook(): a number.created / number.connected whose data.externalRef is a customer's id
//    maps that customer to the number (when Pilot Status echoes externalRef there).
// 3. poll(), on a timer while links are pending: each link's public status, then, when no answer
//    named the number, the account's Meta numbers (and their detail, for externalRef).
import {
  PilotStatusError,
  mintConnectToken,
  type Branding,
  type PilotNumber,
  type PilotStatus,
  type RemotePairingStatus,
  type WebhookEvent,
} from "pilot-connect-server";

/** A remote-pairing link lives 24 h (Pilot Status docs). */
export const LINK_TTL_MS = 24 * 60 * 60 * 1000;

export type LinkState = "pending" | "finished" | "mapped";
export type MappedVia = "webhook" | "status" | "detail" | "list";

/** One customer's Meta signup link, as your database keeps it (one per customer). */
export interface MetaLink {
  /** Your customer: also the link's `externalRef`. */
  customerId: string;
  /** `remotePairingToken`, or the last path segment of `remotePairingUrl`. */
  linkToken: string;
  /** `remotePairingUrl`. */
  linkUrl: string;
  /** Your clock (ms), read just before the link was created. */
  createdAt: number;
  /** The snapshot the link was created with: every widget token for it carries the same. */
  branding?: Branding;
  /** `pending`: not seen finished; `finished`: finished, its number not known yet; `mapped`: done. */
  state: LinkState;
  /** A create or a status answer showed the token live: a 404 after that, within 24 h, is success. */
  seenValid: boolean;
  finishedAt?: number;
  numberId?: string;
  via?: MappedVia;
  /** Why a finished link is still waiting for its number. */
  why?: string;
}

export type ClaimResult =
  | "mapped" // done now
  | "already" // this link already has this number (a retried delivery)
  | "number_taken" // the number belongs to someone: never mapped twice
  | "link_taken" // this link already has another number
  | "no_link"; // the customer has no such link (any more)

type Maybe<T> = T | Promise<T>;

/**
 * Your database. Every write is conditional on what was read, so the webhook and the poller can
 * run at the same time: in SQL, `UPDATE … WHERE customer_id = ? AND link_token = ? AND state = ?`,
 * and `claim` in one transaction with a unique index on the number id.
 */
export interface LinkStore {
  /** The customer's link, whatever its state. */
  link(customerId: string): Maybe<MetaLink | undefined>;
  /** Links whose number is not known yet (`pending` and `finished`). */
  unmapped(): Maybe<MetaLink[]>;
  /** Creates or replaces the customer's link. */
  put(link: MetaLink): Maybe<void>;
  /** Changes (or drops) `read` if it is still as it was read; answers whether it did. */
  change(read: MetaLink, changes: Partial<MetaLink> | "drop"): Maybe<boolean>;
  /** The customer who owns a number, however it came (a link, `numbers.createMeta`, …). */
  ownerOf(numberId: string): Maybe<string | undefined>;
  /** Atomically: the number has no owner and `read` is still the customer's link, not mapped → map it. */
  claim(read: MetaLink, numberId: string, via: MappedVia, at: number): Maybe<ClaimResult>;
  /** A number's `externalRef` as its detail answered it (`null`: none; `undefined`: not read yet). */
  detailRef(numberId: string): Maybe<string | null | undefined>;
  saveDetailRef(numberId: string, ref: string | null): Maybe<void>;
}

/** The store in memory: for one process and for tests. Use your database. */
export class MemoryLinkStore implements LinkStore {
  private links = new Map<string, MetaLink>();
  private owners = new Map<string, string>();
  private refs = new Map<string, string | null>();

  link(customerId: string): MetaLink | undefined {
    const l = this.links.get(customerId);
    return l && { ...l };
  }
  all(): MetaLink[] {
    return [...this.links.values()].map((l) => ({ ...l }));
  }
  unmapped(): MetaLink[] {
    return this.all().filter((l) => l.state !== "mapped");
  }
  put(link: MetaLink): void {
    this.links.set(link.customerId, { ...link });
  }
  change(read: MetaLink, changes: Partial<MetaLink> | "drop"): boolean {
    const cur = this.links.get(read.customerId);
    if (!cur || cur.linkToken !== read.linkToken || cur.state !== read.state) return false;
    if (changes === "drop") this.links.delete(read.customerId);
    else this.links.set(read.customerId, { ...cur, ...changes });
    return true;
  }
  ownerOf(numberId: string): string | undefined {
    return this.owners.get(numberId);
  }
  /** A number you got another way (`numbers.createMeta`): never anyone's candidate. */
  own(numberId: string, customerId: string): void {
    this.owners.set(numberId, customerId);
  }
  claim(read: MetaLink, numberId: string, via: MappedVia, at: number): ClaimResult {
    const cur = this.links.get(read.customerId);
    if (!cur || cur.linkToken !== read.linkToken) return "no_link";
    if (cur.state === "mapped") return cur.numberId === numberId ? "already" : "link_taken";
    if (this.owners.has(numberId)) return "number_taken";
    this.owners.set(numberId, cur.customerId);
    this.links.set(cur.customerId, { ...cur, state: "mapped", numberId, via, finishedAt: cur.finishedAt ?? at, why: undefined });
    return "mapped";
  }
  detailRef(numberId: string): string | null | undefined {
    return this.refs.get(numberId);
  }
  saveDetailRef(numberId: string, ref: string | null): void {
    this.refs.set(numberId, ref);
  }
}

export interface MetaLinksOptions {
  pilot: PilotStatus;
  store: LinkStore;
  /** The widget's tokens: CONNECT_TOKEN_SECRET, the edge's URL, your page's origin. */
  tokens: { secret: string | undefined; audience: string; origin: string };
  /** Where the person lands after the signup: https (loopback http) on `tokens.origin`. */
  redirectUrl: string;
  /** Read `GET /v1/numbers/{id}` of each new Meta number once, for `externalRef` (default true). */
  readDetails?: boolean;
  /** How far Pilot Status's clock may be from yours (default 2 min): only ever widens the search. */
  clockSkewMs?: number;
  /** A finished link whose number cannot be told apart is dropped after this (default 24 h). */
  giveUpMs?: number;
  now?: () => number;
}

export interface Mapping {
  customerId: string;
  numberId: string;
  via: MappedVia;
}

/** What one `poll()` did, and what it cost. */
export interface PollReport {
  /** Requests to Pilot Status: ≤ pending links + 1 + new Meta numbers (each detail read once, ever). */
  calls: { status: number; list: number; detail: number };
  mapped: Mapping[];
  dropped: { customerId: string; linkToken: string; reason: "expired" | "unknown" | "unresolved" }[];
  waiting: { customerId: string; state: LinkState; why?: string }[];
  errors: { customerId?: string; numberId?: string; message: string }[];
}

export type WebhookOutcome = { customerId: string; numberId: string; result: ClaimResult };

const MAPPING_EVENTS = new Set(["number.created", "number.connected"]);

export class LinkBusyError extends Error {
  constructor(customerId: string) {
    super(`the Meta signup of ${customerId} finished and its number is being identified: no new link until then`);
  }
}

export function metaLinks(o: MetaLinksOptions) {
  const { pilot, store, tokens, redirectUrl } = o;
  const now = o.now ?? Date.now;
  const skew = o.clockSkewMs ?? 2 * 60 * 1000;
  const giveUp = o.giveUpMs ?? LINK_TTL_MS;
  const readDetails = o.readDetails ?? true;

  /** The widget's token for a link (600 s, the `mintConnectToken` default; `getToken` renews it). */
  function token(link: MetaLink): string {
    return mintConnectToken({
      secret: tokens.secret,
      audience: tokens.audience,
      origin: tokens.origin,
      remotePairing: link.linkUrl,
      remotePairingExpiresAt: Math.floor((link.createdAt + LINK_TTL_MS) / 1000),
      // The edge's session for the link is then named by it: a webhook echoing it says
      // "connected" (with the number's id) to the widget at once.
      externalRef: link.customerId,
      redirectUrl,
      ...(link.branding ? { branding: link.branding } : {}),
    });
  }

  /** A link for the customer (their pending one while it has over an hour left) and a widget token. */
  async function create(customerId: string, branding?: Branding): Promise<{ link: MetaLink; token: string }> {
    const old = await store.link(customerId);
    if (old?.state === "finished") throw new LinkBusyError(customerId);
    // Done already (a reload, the phone back at redirectUrl): a token for the same link, whose
    // session on the edge says "connected". A new link here would orphan the mapped number. (One
    // official number per customer: to connect another, end this mapping first.)
    if (old?.state === "mapped") return { link: old, token: token(old) };
    if (old?.state === "pending" && old.seenValid && now() - old.createdAt < LINK_TTL_MS - 60 * 60 * 1000) {
      return { link: old, token: token(old) };
    }
    const createdAt = now();
    const made = await pilot.remotePairing.create({
      provider: "META", metaFlow: "embedded", redirectUrl, externalRef: customerId, ...(branding ? { branding } : {}),
    });
    const linkUrl = made.remotePairingUrl ?? "";
    const linkToken = made.token ?? "";
    if (!linkToken || !linkUrl) throw new Error("Pilot Status answered a link without its URL or token");
    const link: MetaLink = { customerId, linkToken, linkUrl, createdAt, state: "pending", seenValid: true, ...(branding ? { branding } : {}) };
    await store.put(link);
    return { link, token: token(link) };
  }

  /** A link made elsewhere (another service, the dashboard): a 404 before it answered once drops it as unknown. */
  async function track(customerId: string, linkUrl: string, createdAt: number): Promise<MetaLink> {
    if ((await store.link(customerId))?.state === "finished") throw new LinkBusyError(customerId);
    const linkToken = new URL(linkUrl).pathname.split("/").filter(Boolean).pop() ?? "";
    const link: MetaLink = { customerId, linkToken, linkUrl, createdAt, state: "pending", seenValid: false };
    await store.put(link);
    return link;
  }

  /** Call it for every verified delivery: `null` unless it mapped (or re-mapped) one of your links. */
  async function onWebhook(event: WebhookEvent): Promise<WebhookOutcome | null> {
    if (event.kind !== "number" || !MAPPING_EVENTS.has(event.event)) return null;
    const customerId = event.data.externalRef;
    if (typeof customerId !== "string") return null;
    const numberId = event.data.numberId;
    const link = await store.link(customerId);
    if (!link) return { customerId, numberId, result: "no_link" };
    return { customerId, numberId, result: await store.claim(link, numberId, "webhook", now()) };
  }

  let running: Promise<PollReport> | undefined;
  /** One run (a run already under way is shared, never doubled). */
  function poll(): Promise<PollReport> {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  }

  async function run(): Promise<PollReport> {
    const r: PollReport = { calls: { status: 0, list: 0, detail: 0 }, mapped: [], dropped: [], waiting: [], errors: [] };
    const t = now();
    const list = async (): Promise<PilotNumber[]> => {
      r.calls.list += 1;
      return pilot.numbers.list();
    };
    const map = async (l: MetaLink, numberId: string, via: MappedVia): Promise<ClaimResult> => {
      const result = await store.claim(l, numberId, via, t);
      if (result === "mapped") r.mapped.push({ customerId: l.customerId, numberId, via });
      return result;
    };
    // A link already finished: the list comes BEFORE the statuses, so a link whose status then
    // says "not finished" cannot have made any number in it.
    let numbers: PilotNumber[] | undefined;
    if ((await store.unmapped()).some((l) => l.state === "finished")) numbers = await list();
    const unfinishedAfterList = new Set<string>();

    for (const l of (await store.unmapped()).filter((x) => x.state === "pending")) {
      r.calls.status += 1;
      let s: RemotePairingStatus;
      try {
        s = await pilot.remotePairing.status(l.linkToken);
      } catch (e) {
        if (!(e instanceof PilotStatusError && e.kind === "not_found")) {
          r.errors.push({ customerId: l.customerId, message: e instanceof Error ? e.message : String(e) });
          continue; // the next run asks again
        }
        // Single use: the token is cleared once the number connects, maybe before any poll saw OPEN.
        if (l.seenValid && t - l.createdAt < LINK_TTL_MS) {
          await store.change(l, { state: "finished", finishedAt: t });
        } else if (await store.change(l, "drop")) {
          r.dropped.push({ customerId: l.customerId, linkToken: l.linkToken, reason: l.seenValid ? "expired" : "unknown" });
        }
        continue;
      }
      if (s.state !== "OPEN") {
        if (!l.seenValid) await store.change(l, { seenValid: true });
        if (numbers) unfinishedAfterList.add(l.customerId);
        continue;
      }
      const named = typeof s.numberId === "string" ? s.numberId : undefined;
      const result = named ? await map(l, named, "status") : undefined;
      if (result !== "mapped" && result !== "already") {
        await store.change(l, { state: "finished", seenValid: true, finishedAt: t, ...(named ? { why: `the status names ${named}: ${result}` } : {}) });
      }
    }

    const finished = (await store.unmapped()).filter((l) => l.state === "finished");
    if (finished.length) {
      numbers ??= await list();
      await identify(finished, numbers, unfinishedAfterList, r, map, t);
    }
    for (const l of await store.unmapped()) {
      if (l.state === "finished" && t - (l.finishedAt ?? t) > giveUp && (await store.change(l, "drop"))) {
        r.dropped.push({ customerId: l.customerId, linkToken: l.linkToken, reason: "unresolved" });
      } else {
        r.waiting.push({ customerId: l.customerId, state: l.state, ...(l.why ? { why: l.why } : {}) });
      }
    }
    return r;
  }

  /** Finds the numbers of finished links that no answer named. */
  async function identify(
    finished: MetaLink[], numbers: PilotNumber[], unfinishedAfterList: Set<string>, r: PollReport,
    map: (l: MetaLink, numberId: string, via: MappedVia) => Promise<ClaimResult>, t: number,
  ): Promise<void> {
    const created = (n: PilotNumber) => {
      const at = Date.parse(n.createdAt ?? "");
      return Number.isNaN(at) ? Infinity : at; // no date: anyone's
    };
    const oldest = Math.min(...finished.map((l) => l.createdAt));
    // New Meta numbers nobody owns.
    const fresh: PilotNumber[] = [];
    for (const n of numbers) {
      if (n.provider === "META" && created(n) >= oldest - skew && (await store.ownerOf(n.id)) === undefined) fresh.push(n);
    }
    // 1. The number's own externalRef, where Pilot Status keeps it in the detail.
    const anonymous: PilotNumber[] = [];
    for (const n of fresh) {
      let ref = await store.detailRef(n.id);
      if (ref === undefined && readDetails) {
        r.calls.detail += 1;
        try {
          const detail = await pilot.numbers.get(n.id);
          ref = typeof detail.externalRef === "string" ? detail.externalRef : null;
          await store.saveDetailRef(n.id, ref);
        } catch (e) {
          r.errors.push({ numberId: n.id, message: e instanceof Error ? e.message : String(e) });
          continue; // not a candidate this run
        }
      }
      if (typeof ref !== "string") {
        anonymous.push(n);
        continue;
      }
      const owner = await store.link(ref);
      if (owner && owner.state !== "mapped") await map(owner, n.id, "detail");
      // Otherwise another link's (or someone else's): never a candidate.
    }
    // 2. By elimination: exactly one new connected Meta number, and no other link that could have made it.
    const open = await store.unmapped();
    const taken = new Set(r.mapped.map((m) => m.numberId));
    for (const l of open.filter((x) => x.state === "finished")) {
      const mine = anonymous.filter((n) => !taken.has(n.id) && n.state === "OPEN" && created(n) >= l.createdAt - skew);
      let why: string | undefined;
      if (mine.length === 0) {
        why = "no new connected Meta number in the list yet";
      } else if (mine.length > 1) {
        why = `${mine.length} new Meta numbers could be this link's (${mine.map((n) => n.id).join(", ")}): only the webhook's externalRef can tell them apart`;
      } else {
        const n = mine[0];
        const rivals = open.filter((x) => x.customerId !== l.customerId && x.createdAt - skew <= created(n) && !unfinishedAfterList.has(x.customerId));
        if (rivals.length) {
          why = `${n.id} could also be the number of ${rivals.length} other link(s): the webhook, or a later run, will tell`;
        } else if ((await map(l, n.id, "list")) === "mapped") {
          taken.add(n.id);
          continue;
        }
      }
      if (why && why !== l.why) await store.change(l, { why });
    }
  }

  /** Polls every `ms` while links are pending (no call at all while none is); answers a stop function. */
  function every(ms: number, onReport?: (r: PollReport) => void): () => void {
    const timer = setInterval(async () => {
      try {
        if ((await store.unmapped()).length === 0) return;
        const report = await poll();
        onReport?.(report);
      } catch (e) {
        console.error("meta links: poll failed:", e);
      }
    }, ms);
    (timer as { unref?: () => void }).unref?.();
    return () => clearInterval(timer);
  }

  return { create, track, token, onWebhook, poll, every };
}

export type MetaLinks = ReturnType<typeof metaLinks>;
