// The ingest drain, in its own process with its own connections, started at
// the lowest CPU priority by ProcessDrainer. Folding batches into rollups
// (parsing, classifying, synchronous SQLite work) must not stall the thread
// that answers requests.
import { openEmbedded, openPostgres } from '../store/open.ts';
import { IngestDrainer } from './ingest-drainer.ts';
import { TenantContexts } from './tenant-context.ts';

const target = JSON.parse(process.argv[2]!) as { dataDir?: string; databaseUrl?: string };
const send = (m: object) => process.send?.(m);
const store = target.databaseUrl ? await openPostgres(target.databaseUrl, 4) : await openEmbedded(target.dataDir!, { migrate: false, role: 'drain' });
const drainer = new IngestDrainer(store, new TenantContexts(store), (err) => send({ type: 'error', message: err.message }));
drainer.start();

process.on('message', async (m: { type: 'kick' } | { type: 'idle'; id: number } | { type: 'stop' }) => {
  if (m.type === 'kick') drainer.kick();
  else if (m.type === 'idle') {
    await drainer.idle();
    send({ type: 'idle', id: m.id });
  } else if (m.type === 'stop') {
    await drainer.stop();
    await store.close();
    process.exit(0);
  }
});
// The server going away ends the drain too; what is left waits in the inbox for the next start.
process.on('disconnect', () => {
  void drainer.stop().then(() => store.close()).then(() => process.exit(0));
});
send({ type: 'ready' });
