/** An RSS 2.0 topic whose items are identified by the given guids; `padding` goes in the channel. */
export const rss = (items: string[], padding = '') =>
  `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>T</title><link>http://example.com/</link>${padding}\n${items
    .map((i) => `<item><guid>${i}</guid><title>${i}</title></item>`)
    .join('\n')}\n</channel></rss>\n`;
