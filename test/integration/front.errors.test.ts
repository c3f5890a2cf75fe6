import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { loadConfig } from '../../src/config.js';
import { errorMiddleware } from '../../src/hub/error-middleware.js';
import { createLogger } from '../../src/log.js';
import { TEST_ENV } from '../helpers/hub.js';

/** What a client saw of one GET: the status, the bytes before the end, and whether the answer was cut. */
function get(url: string): Promise<{ status: number; body: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body, cut: false }));
        res.on('error', () => resolve({ status: res.statusCode!, body, cut: true }));
      })
      .on('error', reject);
  });
}

describe('the error middleware (issue 21, item 7)', () => {
  const lines: Array<Record<string, unknown>> = [];
  let server: http.Server;
  let origin: string;

  beforeAll(async () => {
    const log = createLogger(
      loadConfig({ ...TEST_ENV, LOG_LEVEL: 'warn' }),
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      }),
    );
    const app = express();
    app.get('/half', async (_req, res) => {
      res.status(200).type('text/plain').write('first half\n');
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('second half failed');
    });
    app.use(errorMiddleware(log));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('when a handler fails after the response began, the error is logged with its stack and the connection is cut', async () => {
    const answer = await get(`${origin}/half`);
    expect(answer).toEqual({ status: 200, body: 'first half\n', cut: true });
    const line = lines.find((l) => l.msg === 'request failed after the response began; connection closed');
    expect(line).toMatchObject({ level: 50, module: 'http', method: 'GET', path: '/half', err: { message: 'second half failed' } });
    expect((line!.err as { stack: string }).stack).toContain('front.errors.test.ts');
  });
});
