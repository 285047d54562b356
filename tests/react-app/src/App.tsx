import { useCallback, useState } from 'react'
import { PilotConnect } from 'pilot-connect-widget/react'
import type { PilotConnectBranding, PilotConnectElementOptions, WidgetState } from 'pilot-connect-widget'
import { cfg, rec } from './e2e.ts'
import './App.css'

// The branding the #brand button cycles through: none, a good one, one with a bad colour (as a
// setting typed by a customer could be): the widget logs it and keeps what it showed.
const BRANDS: (PilotConnectBranding | undefined)[] = [
  undefined,
  { companyName: 'Acme Clínicas', primaryColor: '#0e7490' },
  { companyName: 'Acme Clínicas', primaryColor: 'teal' },
]

// One object for the element's `options` property: a new object each render would be a change.
const ELEMENT_OPTIONS: PilotConnectElementOptions = { maxAttempts: 30 }

/** A Meta pairing link's widget, alone on the page: "Continue with Facebook" until connected. */
function MetaLink({ token }: { token: string }) {
  const [state, setState] = useState<WidgetState | 'none'>('none')
  return (
    <section id="meta-slot">
      <h2>Official number</h2>
      <output id="meta-state">{state}</output>
      <PilotConnect
        className="widget"
        endpoint={cfg.endpoint}
        token={token}
        locale="pt-BR"
        nextStep={{ label: 'Ir para o painel', href: '/' }}
        onStateChange={({ state }) => {
          rec.meta.states.push(state)
          setState(state)
        }}
        onConnected={(e) => { rec.meta.connected.push(e) }}
        onError={(e) => { rec.meta.errors.push(e) }}
      />
    </section>
  )
}

function App() {
  const [shown, setShown] = useState(true)
  const [locale, setLocale] = useState('en')
  const [brand, setBrand] = useState(0)
  // Shown on the page, so each widget state change re-renders App (and the widgets' parents).
  const [componentState, setComponentState] = useState<WidgetState | 'none'>('none')
  const [elementState, setElementState] = useState<WidgetState | 'none'>('none')
  const getToken = useCallback(async () => {
    rec.element.tokens += 1
    return cfg.tokenB
  }, [])

  if (cfg.tokenMeta) return <MetaLink token={cfg.tokenMeta} />
  return (
    <>
      <h1>Vite + React</h1>
      <div className="card">
        <button id="toggle" onClick={() => setShown((s) => !s)}>
          {shown ? 'Hide' : 'Show'} the widgets
        </button>{' '}
        <button id="locale" onClick={() => setLocale((l) => (l === 'en' ? 'pt-BR' : 'en'))}>
          {locale === 'en' ? 'Português' : 'English'}
        </button>
        <button id="brand" onClick={() => setBrand((b) => (b + 1) % BRANDS.length)}>
          Branding {brand}
        </button>
        <p>
          component: <output id="component-state">{componentState}</output>, element:{' '}
          <output id="element-state">{elementState}</output>
        </p>
      </div>
      {shown && (
        <div className="slots">
          <section id="component-slot">
            <h2>&lt;PilotConnect&gt;</h2>
            <PilotConnect
              className="widget"
              endpoint={cfg.endpoint}
              token={cfg.tokenA}
              locale={locale}
              branding={BRANDS[brand]}
              appearance={{ theme: 'light' }}
              maxAttempts={30}
              onReady={() => { rec.component.ready += 1 }}
              onStateChange={({ state }) => {
                rec.component.states.push(state)
                setComponentState(state)
              }}
              onQr={(e) => { rec.component.qr.push(e) }}
              onConnected={(e) => { rec.component.connected.push(e) }}
              onError={(e) => { rec.component.errors.push(e) }}
            />
          </section>
          <section id="element-slot">
            <h2>&lt;pilot-connect&gt;</h2>
            <pilot-connect
              id="element"
              endpoint={cfg.endpoint}
              locale="es"
              getToken={getToken}
              options={ELEMENT_OPTIONS}
              onpilotconnectready={() => { rec.element.ready += 1 }}
              onpilotconnectstatechange={(e) => {
                rec.element.states.push(e.detail.state)
                setElementState(e.detail.state)
              }}
              onpilotconnectqr={(e) => { rec.element.qr.push(e.detail) }}
              onpilotconnectconnected={(e) => { rec.element.connected.push(e.detail) }}
              onpilotconnecterror={(e) => { rec.element.errors.push(e.detail) }}
            />
          </section>
        </div>
      )}
    </>
  )
}

export default App
