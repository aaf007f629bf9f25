// Starts a benchmark server process and waits for it to say READY.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Child {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export function startChild(mode: 'app' | 'bare', env: Record<string, string>): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof2'] : []), '--import', 'tsx', 'test/bench/server-child.ts', mode], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server (${mode}) did not start: ${out}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          proc,
          stop: () => new Promise((r) => { proc.once('exit', () => r()); proc.kill('SIGTERM'); }),
        });
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); if (!/READY/.test(out)) reject(new Error(`server (${mode}) exited with ${code}`)); });
  });
}
