// The server under benchmark, in its own process so the load generator does
// not share its event loop. Mode "bare" is the same framework with one route
// that parses the same JSON body and answers: the HTTP ceiling.
import Fastify from 'fastify';
import { loadConfig } from '../../plugin/server/config.ts';
import { openStore } from '../../plugin/store/open.ts';
import { buildApp } from '../../plugin/server/app.ts';

const mode = process.argv[2] ?? 'app';
const port = Number(process.env.PORT ?? 0);

if (mode === 'bare') {
  const app = Fastify({ bodyLimit: 1_048_576, logger: false });
  app.post('/api/v1/signals', async (req) => ({ received: (req.body as { signals: unknown[] }).signals.length }));
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
  console.log(`READY ${(app.server.address() as { port: number }).port}`);
} else {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000000', INGEST_RATE_LIMIT_PER_MINUTE: '100000000' });
  const store = await openStore(config, 'server');
  const app = await buildApp({ store, config });
  await app.listen({ port, host: '127.0.0.1' });
  // A clean exit lets profiles (--cpu-prof) be written and the drain finish its round.
  process.on('SIGTERM', () => void app.close().then(() => store.close()).then(() => process.exit(0)));
  console.log(`READY ${(app.server.address() as { port: number }).port}`);
}
