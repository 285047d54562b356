import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// https://vite.dev/config/
export default defineConfig({
  plugins: [react()],
  // The dev server's dependency pre-bundling moves a package's JS to node_modules/.vite/deps, where
  // `new URL('./pilot_connect_bg.wasm', import.meta.url)` finds no wasm (the dev server answers
  // index.html). `vite build` needs nothing.
  optimizeDeps: { exclude: ['pilot-connect-widget'] },
})
