import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// For `pnpm --filter @strata/console dev`: the gateway to send /v1 and /console/config.json to (the dev server
// plays the gateway's part of serving the SPA, so the console calls stay same-origin as in production).
const gateway = process.env.STRATA_GATEWAY_URL ?? 'http://127.0.0.1:8080'
const proxy = { '/v1': gateway, '/console/config.json': gateway, '/health': gateway }

// Served by the gateway under /console/; every asset is an external file so the gateway's CSP can stay
// script-src 'self' / style-src 'self' (no inline script or style).
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
})
