// Keeps a throwaway PostgreSQL running for the length of `npm test`: prints
// its URL, then stops it and removes its files on SIGTERM or when stdin closes.
import { startPgServer } from './pg-server.ts';

const server = await startPgServer();
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
