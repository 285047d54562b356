// What the browser test injects before the page runs (the worker URL and two connect tokens),
// and what the page records for it: every callback and event, in order.
import type { ConnectedEvent, QrEvent, WidgetState } from 'pilot-connect-widget'

export interface Log {
  ready: number
  states: WidgetState[]
  qr: QrEvent[]
  connected: ConnectedEvent[]
  errors: unknown[]
  tokens: number
}

declare global {
  interface Window {
    /** `tokenMeta`: a Meta pairing link's token; the page then shows that widget alone. */
    __E2E: { endpoint: string; tokenA: string; tokenB: string; tokenMeta?: string }
    __rec: { component: Log; element: Log; meta: Log }
  }
}

const fresh = (): Log => ({ ready: 0, states: [], qr: [], connected: [], errors: [], tokens: 0 })
export const cfg = window.__E2E
export const rec = (window.__rec = { component: fresh(), element: fresh(), meta: fresh() })
