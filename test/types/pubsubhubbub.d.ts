// The npm `pubsubhubbub` subscriber (1.0.2) ships no types: what the client tests use of it.
declare module 'pubsubhubbub' {
  import type { EventEmitter } from 'node:events';
  import type { Server } from 'node:http';

  interface Subscriber extends EventEmitter {
    server?: Server;
    listen(port: number, host?: string): void;
    subscribe(topic: string, hub: string, callbackUrl?: string, done?: (err: Error | null) => void): void;
    unsubscribe(topic: string, hub: string, callbackUrl?: string, done?: (err: Error | null) => void): void;
  }

  const pubsubhubbub: {
    createServer(options: { callbackUrl: string; secret?: string; leaseSeconds?: number }): Subscriber;
  };
  export default pubsubhubbub;
}
