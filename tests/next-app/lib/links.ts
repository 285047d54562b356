// This app's Meta signup links (lib/meta-links.ts, the recipe) wired to its environment: one
// store and one poller per server process. The store is in memory here; yours is your database.
import { failure, pilot } from "@/lib/pilot";
import { LinkBusyError, MemoryLinkStore, metaLinks, type MetaLinks } from "@/lib/meta-links";

// On globalThis: every route handler of the process shares them, whichever chunk it was bundled in.
const shared = globalThis as typeof globalThis & { metaLinkStore?: MemoryLinkStore; metaLinks?: MetaLinks };

export function linkStore(): MemoryLinkStore {
  return (shared.metaLinkStore ??= new MemoryLinkStore());
}

export function links(): MetaLinks {
  return (shared.metaLinks ??= metaLinks({
    pilot: pilot(),
    store: linkStore(),
    tokens: {
      secret: process.env.CONNECT_TOKEN_SECRET,
      audience: process.env.CONNECT_TOKEN_AUDIENCE ?? "",
      origin: process.env.APP_ORIGIN ?? "",
    },
    redirectUrl: `${process.env.APP_ORIGIN}/connected`,
  }));
}

/** `failure`, plus 409 for a customer whose finished signup is still being matched. */
export function linkFailure(e: unknown): Response {
  if (e instanceof LinkBusyError) return Response.json({ kind: "conflict", message: e.message }, { status: 409 });
  return failure(e);
}
