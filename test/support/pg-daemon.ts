// Keeps a throwaway PostgreSQL running for the length of `npm test`: prints
// its URL, then stops it and removes its files on SIGTERM or when stdin closes.
import { startPgServer } from './pg-server.ts';

// A cluster that lives for one test run: crash safety buys nothing here, and skipping fsync keeps a shared 2-core machine quick.
const server = await startPgServer({ shared_buffers: '128MB', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' });
let stopped = false;
const stop = () => {
  if (stopped) return;
  stopped = true;
  server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('close', stop);
process.stdin.resume();
console.log(server.url);
