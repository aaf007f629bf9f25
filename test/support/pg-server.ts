// A throwaway PostgreSQL server for tests and benchmarks: a fresh cluster in a
// temp dir on a free loopback port, removed when stopped. As root it runs the
// server as the `postgres` system user, because PostgreSQL refuses to run as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const PG_INSTALL_HINT = 'PostgreSQL server binaries were not found. Install them with: apt-get update && apt-get install -y postgresql';

export function findPgBin(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim().replace(/\/initdb$/, '');
  throw new Error(PG_INSTALL_HINT);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface PgServer {
  url: string;
  stop(): void;
}

export async function startPgServer(settings: Record<string, string> = {}): Promise<PgServer> {
  const bin = findPgBin();
  const dir = mkdtempSync(join(tmpdir(), 'rl-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  // Debian's package creates the `postgres` user; binaries from elsewhere may not have, so fall back to `nobody`.
  const runAs = asRoot ? (spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody') : null;
  const run = (cmd: string, args: string[]) => {
    const full = runAs ? ['runuser', ['-u', runAs, '--', join(bin, cmd), ...args]] as const : [join(bin, cmd), args] as const;
    try {
      execFileSync(full[0], full[1] as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`${cmd} failed: ${err.stderr?.toString().trim() || err.message}`);
    }
  };
  if (runAs) {
    chmodSync(dir, 0o755);
    const uid = Number(execFileSync('id', ['-u', runAs]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', runAs]).toString().trim());
    chownSync(dir, uid, gid);
  }
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-instructions', '-E', 'UTF8']);
  const port = await freePort();
  const conf = { listen_addresses: "'127.0.0.1'", port: String(port), unix_socket_directories: `'${dir}'`, max_connections: '200', shared_buffers: '512MB', ...settings };
  writeFileSync(join(dir, 'extra.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  execFileSync('sh', ['-c', `cat '${join(dir, 'extra.conf')}' >> '${join(data, 'postgresql.conf')}'`]);
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
