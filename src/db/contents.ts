import type { Queryable } from './pool.js';

export interface Content {
  hash: string;
  contentType: string;
  body: Buffer;
}

/** The content a notification delivers; undefined when no row is found (a failed query throws). */
export async function findContentOfNotification(db: Queryable, notificationId: number): Promise<Content | undefined> {
  const { rows } = await db.query(
    `
    select c.hash, c.content_type, c.body from contents c
    join notifications n on n.content_hash = c.hash where n.id = $1`,
    [notificationId],
  );
  if (!rows[0]) return undefined;
  return { hash: rows[0].hash, contentType: rows[0].content_type, body: rows[0].body };
}
