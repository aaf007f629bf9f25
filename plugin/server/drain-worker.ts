// The embedded store's drain, in its own process with its own connections,
// started at the lowest CPU priority by ProcessDrainer. Folding batches into
// rollups is synchronous SQLite work that must not stall the request thread.
import { openEmbedded } from '../store/open.ts';
import { IngestDrainer } from './ingest-drainer.ts';
import { TenantContexts } from './tenant-context.ts';

const dataDir = process.argv[2]!;
const send = (m: object) => process.send?.(m);
const store = await openEmbedded(dataDir, { migrate: false, role: 'drain' });
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
