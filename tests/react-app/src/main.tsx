import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { defineCustomElement } from 'pilot-connect-widget/element'
import './index.css'
import App from './App.tsx'

// Before the first render: React 19 sets a defined element's properties (getToken, options) as
// properties, and writes unknown ones as attributes.
defineCustomElement()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
