import type { Queryable } from './pool.js';

export interface Content {
  hash: string;
  contentType: string;
  body: Buffer;
}

/** Stores a body once; a second store of the same hash is a no-op. */
export async function storeContent(db: Queryable, content: Content): Promise<void> {
  await db.query(
    `
    insert into contents (hash, content_type, body) values ($1, $2, $3)
    on conflict (hash) do nothing`,
    [content.hash, content.contentType, content.body],
  );
}

export async function getContent(db: Queryable, hash: string): Promise<Content> {
  const { rows } = await db.query('select hash, content_type, body from contents where hash = $1', [hash]);
  if (!rows[0]) throw new Error(`content ${hash} is missing`);
  return { hash: rows[0].hash, contentType: rows[0].content_type, body: rows[0].body };
}

/** The content a notification delivers. */
export async function getContentOfNotification(db: Queryable, notificationId: number): Promise<Content> {
  const { rows } = await db.query(
    `
    select c.hash, c.content_type, c.body from contents c
    join notifications n on n.content_hash = c.hash where n.id = $1`,
    [notificationId],
  );
  if (!rows[0]) throw new Error(`content of notification ${notificationId} is missing`);
  return { hash: rows[0].hash, contentType: rows[0].content_type, body: rows[0].body };
}
