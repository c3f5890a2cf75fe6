import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A helper process of the bench (TypeScript through tsx), driven by request/response messages. */
export interface BenchChild {
  call<T = any>(op: string, args?: unknown): Promise<T>;
  on(event: string, fn: (msg: any) => void): void;
  pid: number;
  close(): Promise<void>;
}

export function startChild(file: string): BenchChild {
  const child: ChildProcess = fork(path.join(HERE, file), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, (msg: any) => void>();
  child.on('message', (msg: any) => {
    if (msg.event) return listeners.get(msg.event)?.(msg);
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(`${file}: ${msg.error}`));
    else p.resolve(msg.result);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${file} exited with ${code}`));
    pending.clear();
  });
  return {
    pid: child.pid!,
    call(op, args) {
      return new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        child.send({ id, op, args });
      });
    },
    on(event, fn) {
      listeners.set(event, fn);
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child's side: answers each request message with `handlers[op](args)`, and exits when the bench disconnects. */
export function serveRequests(handlers: Record<string, (args: any) => unknown>): void {
  const answer = async (msg: { id: number; op: string; args: unknown }) => {
    try {
      process.send!({ id: msg.id, result: await handlers[msg.op](msg.args) });
    } catch (err) {
      process.send!({ id: msg.id, error: (err as Error).stack ?? String(err) });
    }
  };
  process.on('message', (msg: { id: number; op: string; args: unknown }) => void answer(msg));
  process.on('disconnect', () => process.exit(0));
}
