// One Vite config for every browser bundle the project ships. Each target owns
// its settings in its own folder; `vite build --mode <target>` picks one and
// `npm run build` builds them all. Vitest reads its projects from here too.
import { defineConfig, type UserConfig } from 'vite';
import { tsImport } from 'tsx/esm/api';

const targets: Record<string, string> = {
  extension: './extension/vite.target.ts',
  beacon: './plugin/beacon/vite.target.ts',
  dashboard: './plugin/dashboard/vite.target.ts',
};

export default defineConfig(async ({ mode }) => {
  const file = targets[mode];
  // Loaded at run time (tsx transpiles it), so building or testing one part never needs another part's config.
  const build: UserConfig = file ? ((await tsImport(new URL(file, import.meta.url).href, import.meta.url)) as { default: UserConfig }).default : {};
  return {
    ...build,
    test: {
      projects: [
        {
          test: {
            name: 'unit',
            include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
            environment: 'node',
            testTimeout: 20_000,
            hookTimeout: 60_000,
          },
        },
        {
          test: {
            name: 'e2e',
            include: ['test/e2e/**/*.test.ts'],
            environment: 'node',
            fileParallelism: false,
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  } as UserConfig;
});
