// `npm start`: open the configured store (embedded by default), serve the API.
import { loadConfig } from './config.ts';
import { openStore } from '../store/open.ts';
import { buildApp } from './app.ts';
import { MODULES } from './modules.ts';

const config = loadConfig();
const store = await openStore(config, 'server');
const app = await buildApp({ store, config, modules: MODULES });

// Dedupe ids are needed only as long as a signal could still be accepted.
const prune = setInterval(() => {
  store.pruneSeen(Date.now() - config.maxSignalAgeMs - 86_400_000).catch((err: Error) => app.log.error({ err: { message: err.message } }, 'prune failed'));
}, 3_600_000);
prune.unref();

const stop = async (signal: string) => {
  app.log.info({ signal }, 'shutting down');
  await app.close();
  await store.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

await app.listen({ port: config.port, host: config.host });
app.log.info({ store: store.engine, dataDir: config.databaseUrl ? undefined : config.dataDir, url: config.publicUrl }, 'RosterLens plugin ready');
