import type { RequestHandler, Response } from 'express';

/**
 * What the hub answers is often what a publisher wrote, served from the hub's
 * own origin: without these a topic of HTML or SVG runs its script there, next
 * to the console's session (issue 20, item 1). `nosniff` stops a browser
 * guessing an active type; the sandbox policy gives the document a unique
 * origin and no script, style, frame or fetch of its own.
 */
const INERT_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
} as const;

/**
 * Sets the inert headers on every response before its handler runs, so
 * retrieves, long-polls, streams and errors all carry them. The console's own
 * helmet replaces the policy with its stricter-for-pages one.
 */
export function inertResponses(): RequestHandler {
  return (_req, res, next) => {
    res.set(INERT_HEADERS);
    next();
  };
}

/** Media types a feed reader asks for and reads inline; the hub renders these itself. */
const FEED_MEDIA_TYPES = new Set([
  'application/rss+xml',
  'application/atom+xml',
  'application/rdf+xml',
  'application/xml',
  'text/xml',
  'application/feed+json',
  'application/json',
]);

/**
 * Sets a retrieved body's Content-Type: a feed's as it is; anything else (a
 * topic of HTML, SVG, plain text, or a feed served under such a type) also as
 * an attachment, so a browser saves it rather than rendering it.
 */
export function setBodyType(res: Response, contentType: string): void {
  res.setHeader('Content-Type', contentType);
  const media = contentType.split(';')[0].trim().toLowerCase();
  if (!FEED_MEDIA_TYPES.has(media)) res.setHeader('Content-Disposition', 'attachment');
}
