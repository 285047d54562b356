// The one way every suite and bench launches the machine's Chromium (Debian's, through
// playwright-core: no downloaded browser): headless, no sandbox (root in CI), nothing that would
// call out of loopback (component updates, sync, background networking, QUIC).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROME_BIN ?? "/usr/bin/chromium";

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic"];

/** Launches Chromium with `extraArgs` on top of the shared flags (e.g. `--js-flags=--expose-gc`). */
export function launchChromium(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...ARGS, ...extraArgs] });
}
