// One Vite config for every browser bundle the project ships. Each target owns
// its settings in its own folder; `vite build --mode <target>` picks one and
// `npm run build` builds them all. Vitest reads its projects from here too.
import { defineConfig, type UserConfig } from 'vite';

const targets: Record<string, () => Promise<UserConfig>> = {
  extension: async () => (await import('./extension/vite.target.ts')).default,
  beacon: async () => (await import('./plugin/beacon/vite.target.ts')).default,
  dashboard: async () => (await import('./plugin/dashboard/vite.target.ts')).default,
};

export default defineConfig(async ({ mode }) => {
  const target = targets[mode];
  const build: UserConfig = target ? await target() : {};
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
