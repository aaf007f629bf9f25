// Vite settings for the teacher extension: `vite build --mode extension`
// writes the unpacked extension to dist/extension/ and, once the bundle is
// closed, the store package dist/extension.zip (see package-zip.ts).
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { UserConfig } from 'vite';
import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import manifest from './manifest.ts';
import { packageZip } from './package-zip.ts';

const outDir = fileURLToPath(new URL('../dist/extension', import.meta.url));

const config: UserConfig = {
  publicDir: false,
  plugins: [
    preact({ devToolsEnabled: false, prefreshEnabled: false }),
    crx({ manifest }),
    {
      name: 'rosterlens-store-zip',
      apply: 'build',
      closeBundle() {
        // crxjs does not copy the managed-storage schema the manifest names.
        mkdirSync(`${outDir}/extension`, { recursive: true });
        copyFileSync(fileURLToPath(new URL('./managed-schema.json', import.meta.url)), `${outDir}/extension/managed-schema.json`);
        packageZip(outDir, `${outDir}.zip`);
      },
    },
  ],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'chrome120',
    minify: true,
    sourcemap: false,
    // The content script's size is budgeted separately (test/bench/extension.ts); the pages may be larger.
    chunkSizeWarningLimit: 200,
  },
};

export default config;
