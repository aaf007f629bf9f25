// Vite settings for the presence beacon: `vite build --mode beacon` writes one
// small self-contained script, dist/beacon/beacon.js, that the plugin serves.
import { fileURLToPath } from 'node:url';
import type { UserConfig } from 'vite';

const config: UserConfig = {
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../../dist/beacon', import.meta.url)),
    emptyOutDir: true,
    // Every browser a district supports has these; older syntax would only add bytes.
    target: 'es2020',
    minify: true,
    sourcemap: false,
    copyPublicDir: false,
    lib: {
      entry: fileURLToPath(new URL('./main.ts', import.meta.url)),
      formats: ['iife'],
      name: 'RosterLensBeacon',
      fileName: () => 'beacon.js',
    },
  },
};

export default config;
