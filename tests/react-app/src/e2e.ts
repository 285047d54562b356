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
    __E2E: { endpoint: string; tokenA: string; tokenB: string }
    __rec: { component: Log; element: Log }
  }
}

const fresh = (): Log => ({ ready: 0, states: [], qr: [], connected: [], errors: [], tokens: 0 })
export const cfg = window.__E2E
export const rec = (window.__rec = { component: fresh(), element: fresh() })
