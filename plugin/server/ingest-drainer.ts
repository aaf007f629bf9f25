// Folds acknowledged batches from the inbox into rollups, off the request
// path. Each server runs one; several can share a PostgreSQL. A drain starts
// as soon as a batch arrives and repeats while batches wait, so status trails
// ingest by milliseconds; a timer also picks up batches other servers left.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { DayClassifier, Store } from '../store/store.ts';
import type { TenantContexts } from './tenant-context.ts';

export interface DrainStats {
  drains: number;
  signals: number;
  stored: number;
  duplicates: number;
  failures: number;
}

export class IngestDrainer implements Drainer {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  readonly stats: DrainStats = { drains: 0, signals: 0, stored: 0, duplicates: 0, failures: 0 };

  constructor(
    private readonly store: Store,
    private readonly contexts: TenantContexts,
    private readonly onError: (err: Error) => void,
    private readonly maxSignals = 20_000,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
  }

  /** Ask for a drain soon; calls while one runs fold into one more round. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = new Promise<void>((r) => setImmediate(r)).then(() => this.loop());
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        while (await this.drainOnce()) {
          /* keep draining while batches wait */
        }
      } while (this.again);
    } catch (e) {
      this.stats.failures++;
      this.onError(e as Error);
    } finally {
      this.running = null;
      if (this.again) this.kick();
      else for (const w of this.waiters.splice(0)) w();
    }
  }

  private async drainOnce(): Promise<boolean> {
    const tenants = await this.store.inboxTenants(50);
    if (!tenants.length) return false;
    const classifiers = new Map<string, DayClassifier>();
    for (const t of tenants) {
      const ctx = await this.contexts.get(t);
      if (ctx) classifiers.set(t, ctx.classify);
    }
    const r = await this.store.drainInbox(classifiers, this.maxSignals);
    this.stats.drains++;
    this.stats.signals += r.signals;
    this.stats.stored += r.stored;
    this.stats.duplicates += r.duplicates;
    return r.batches > 0;
  }

  /** Resolves when nothing is waiting in the inbox (as far as this server can tell). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.running) await new Promise<void>((r) => this.waiters.push(r));
      if ((await this.store.inboxTenants(1)).length === 0) return;
      this.kick();
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}

/** What the server needs of a drain, wherever it runs. */
export interface Drainer {
  start(): void;
  kick(): void;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the drain in a child process at the lowest CPU priority (see
 * drain-worker.ts). Acknowledging a batch is what keeps a
 * student's signals safe, so under a burst it gets the CPU first; folding into
 * status catches up as soon as the burst eases.
 */
export class ProcessDrainer implements Drainer {
  private child!: ChildProcess;
  private ready!: Promise<void>;
  private nextId = 1;
  private pending = new Map<number, () => void>();
  private stopping: Promise<void> | null = null;
  private exited = false;

  constructor(
    private readonly target: { dataDir: string } | { databaseUrl: string },
    private readonly onError: (err: Error) => void,
  ) {
    this.spawn();
  }

  private spawn(): void {
    this.exited = false;
    // A plain-JS entry that registers the TypeScript loader, whether or not the parent was started by tsx.
    const child = fork(fileURLToPath(new URL('./drain-worker-boot.mjs', import.meta.url)), [JSON.stringify(this.target)], {
      execArgv: process.execArgv.filter((a) => !a.startsWith('--cpu-prof') && !a.startsWith('--inspect')),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    try {
      os.setPriority(child.pid!, 19);
    } catch {
      /* not permitted here: it still works, only without the priority */
    }
    this.ready = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.on('message', (m: { type: string; id?: number; message?: string }) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'idle' && m.id !== undefined) {
          this.pending.get(m.id)?.();
          this.pending.delete(m.id);
        } else if (m.type === 'error') this.onError(new Error(m.message));
      });
    });
    this.ready.catch((e: Error) => this.onError(e));
    child.once('exit', (code, signal) => {
      this.exited = true;
      if (this.stopping) return;
      // Batches stay safe in the inbox; a new drain picks them up.
      this.onError(new Error(`drain process exited (${signal ?? code}); restarting it`));
      setTimeout(() => {
        if (!this.stopping) {
          this.spawn();
          for (const id of this.pending.keys()) this.child.send({ type: 'idle', id });
        }
      }, 1000).unref();
    });
  }

  start(): void {
    /* the drain process starts its own timer */
  }

  kick(): void {
    if (!this.exited) this.child.send({ type: 'kick' });
  }

  async idle(): Promise<void> {
    await this.ready;
    const id = this.nextId++;
    await new Promise<void>((resolve) => {
      this.pending.set(id, resolve);
      if (!this.exited) this.child.send({ type: 'idle', id });
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const w of this.pending.values()) w();
      this.pending.clear();
      if (this.exited) return;
      await this.ready.catch(() => undefined);
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.send({ type: 'stop' });
        setTimeout(() => this.child.kill('SIGKILL'), 10_000).unref();
      });
    })();
    return this.stopping;
  }
}
