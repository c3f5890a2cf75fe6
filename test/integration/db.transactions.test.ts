import pg from 'pg';
import { withTransaction } from '../../src/db/pool.js';
import { PG_ADMIN_URL } from '../helpers/services.js';

describe('withTransaction (issue 21, item 7)', () => {
  // One connection, and a client-side timeout short enough to fail a rollback queued behind a slow statement.
  const pool = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 1, query_timeout: 300 });
  afterAll(() => pool.end());

  test('when the rollback fails, the connection is destroyed, not handed out again inside the transaction', async () => {
    // The test's own reads may wait for the slow statement (when the connection is handed out again).
    const read = <T extends pg.QueryResultRow>(text: string) => pool.query<T>({ text, query_timeout: 5000 } as pg.QueryConfig);
    const pid = async () => (await read<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
    const before = await pid();
    const failing = withTransaction(pool, (client) => {
      // Still running when the rollback is queued: the rollback times out unsent and the transaction stays open.
      client.query('select pg_sleep(1)').catch(() => undefined);
      return Promise.reject(new Error('the work failed'));
    });
    await expect(failing).rejects.toThrow('the work failed');
    const after = await pid();
    expect(after).not.toBe(before);
    // The new connection is outside any transaction.
    const { rows } = await read<{ open: boolean }>('select now() <> statement_timestamp() as open');
    expect(rows[0].open).toBe(false);
  });
});
