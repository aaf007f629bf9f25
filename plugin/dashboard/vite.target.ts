// Vite settings for the dashboard UI: `vite build --mode dashboard` builds
// plugin/dashboard/ui into dist/dashboard, served by the plugin at /dashboard/.
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import type { UserConfig } from 'vite';

const config: UserConfig = {
  root: fileURLToPath(new URL('./ui', import.meta.url)),
  base: '/dashboard/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Everything as files: the page's CSP allows no inline script or style.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
};

export default config;
