import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { PortStream } from './port-stream.js';
import type { OpenOptions } from './open.js';
import type { FromThread, ThreadMemory, ThreadOptions, ToThread } from './protocol.js';

export interface HostOptions extends ThreadOptions {
  /** Told each time the thread ends a connection left idle inside a transaction. */
  onIdleTransaction?: (connection: number) => void;
  /** Told once if the thread stops without being asked to (a crash): every connection has failed. */
  onLost?: (err: Error) => void;
}

export interface PgliteThread {
  /** A new connection, for `pg`'s `stream` option: a Duplex whose bytes go to the thread over a MessagePort. */
  connect(): Duplex;
  /** Asks the thread to end its connections and close PGlite (flushing it), then waits for it to stop. */
  close(): Promise<void>;
  /** The thread's heap and PGlite's WebAssembly memory, for the operator's memory breakdown. */
  memory(): Promise<ThreadMemory>;
  /** The thread, for tests that need to make it fail. */
  readonly worker: Worker;
}

/**
 * The compiled entry of the thread (`thread`) or of the initdb process (`init`).
 * From dist/ it sits next to this file; when this file runs from TypeScript sources (ts-jest, tsx)
 * a worker or a plain node process cannot load TypeScript, so the built copy in dist/ serves
 * (`npm run build` first, as `npm test` and `npm run bench` do).
 */
function builtEntry(name: 'thread' | 'init'): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL(`./${name}.js`, import.meta.url);
  const built = path.resolve(path.dirname(here), `../../../dist/db/embedded/${name}.js`);
  if (!fs.existsSync(built)) throw new Error(`the embedded database is not built (${built} is missing): run npm run build`);
  return new URL(`file://${built}`);
}

/**
 * Starts PGlite in a worker thread and resolves once it is open (first start
 * included: initdb and the data directory). Each `connect()` opens a
 * MessageChannel and hands one port to the thread; nothing listens anywhere.
 */
export async function startPgliteThread(options: HostOptions): Promise<PgliteThread> {
  if (!fs.existsSync(path.join(options.dir, 'PG_VERSION'))) await createDataDir(options);
  return startThread(options);
}

/**
 * Runs initdb on a fresh directory in a process of its own. initdb grows the memory of whoever runs
 * it by several hundred MB (a second PGlite and initdb's own WebAssembly module); in a worker thread
 * part of that stayed with the hub after the thread ended (the C heap's per-thread arenas keep freed
 * memory), while a process returns all of it when it exits.
 */
async function createDataDir(options: OpenOptions): Promise<void> {
  const { dir, sharedBuffersMb, wasmBaselineOnly } = options;
  const open: OpenOptions = { dir, sharedBuffersMb, wasmBaselineOnly };
  const child = spawn(process.execPath, [fileURLToPath(builtEntry('init')), JSON.stringify(open)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`embedded database failed to initialise ${dir} (exit code ${code}): ${stderr.trim()}`);
}

async function startThread(options: HostOptions): Promise<PgliteThread> {
  const { onIdleTransaction, onLost, ...threadOptions } = options;
  const worker = new Worker(builtEntry('thread'), { workerData: threadOptions satisfies ThreadOptions });
  const streams = new Set<PortStream>();
  let stopped: Error | undefined;
  let closing = false;
  let closed!: () => void;
  const exited = new Promise<void>((resolve) => (closed = resolve));

  const stop = (err: Error) => {
    if (stopped) return;
    stopped = err;
    for (const stream of streams) stream.destroy(err);
    streams.clear();
    if (!closing) onLost?.(err);
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromThread) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'failed') reject(new Error(`embedded database failed to open: ${message.error}`));
      else if (message.type === 'idle-transaction') onIdleTransaction?.(message.connection);
    });
    worker.on('error', (err) => {
      reject(err);
      stop(new Error(`embedded database thread crashed: ${err.message}`, { cause: err }));
    });
    worker.on('exit', (code) => {
      reject(new Error(`embedded database thread exited (code ${code}) before it was ready`));
      stop(new Error(`embedded database thread stopped (exit code ${code})`));
      closed();
    });
  });
  try {
    await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }

  const post = (message: ToThread, transfer?: Parameters<Worker['postMessage']>[1]) => worker.postMessage(message, transfer);
  return {
    worker,
    connect() {
      const { port1, port2 } = new MessageChannel();
      const stream = new PortStream(port1);
      if (stopped) {
        const err = stopped;
        process.nextTick(() => stream.destroy(err));
        return stream;
      }
      streams.add(stream);
      stream.once('close', () => streams.delete(stream));
      post({ type: 'connect', port: port2 }, [port2]);
      return stream;
    },
    memory() {
      if (stopped) return Promise.resolve({ heapUsed: 0, external: 0, wasm: 0, wasmResident: 0 });
      return threadMemory(worker);
    },
    async close() {
      if (closing) return exited;
      closing = true;
      if (!stopped) {
        const done = new Promise<string | undefined>((resolve) => {
          worker.on('message', (message: FromThread) => message.type === 'closed' && resolve(message.error));
          void exited.then(() => resolve(undefined));
        });
        post({ type: 'close' });
        const error = await done;
        await worker.terminate();
        if (error) throw new Error(`embedded database did not close cleanly: ${error}`);
      }
      await exited;
    },
  };
}

/** The thread's own reading of its memory, asked over its message port. */
function threadMemory(worker: Worker): ReturnType<PgliteThread['memory']> {
  return new Promise((resolve) => {
    const onMessage = (message: FromThread) => {
      if (message.type !== 'memory') return;
      worker.off('message', onMessage);
      const { heapUsed, external, wasm, wasmResident } = message;
      resolve({ heapUsed, external, wasm, wasmResident });
    };
    worker.on('message', onMessage);
    worker.postMessage({ type: 'memory' } satisfies ToThread);
  });
}
