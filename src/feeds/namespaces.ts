/** Namespace URIs the feed formats are told apart by, and prefix resolution for the scanner. */
export const NS = {
  atom10: 'http://www.w3.org/2005/Atom',
  atom03: 'http://purl.org/atom/ns#',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rss10: 'http://purl.org/rss/1.0/',
  rss090: 'http://my.netscape.com/rdf/simple/0.9/',
  rss11: 'http://purl.org/net/rss1.1#',
  dc: 'http://purl.org/dc/elements/1.1/',
  dcterms: 'http://purl.org/dc/terms/',
  content: 'http://purl.org/rss/1.0/modules/content/',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

/** The namespace context outside any element: only `xml:` is bound. */
export const EMPTY_NS: ReadonlyMap<string, string> = new Map([['xml', NS.xml]]);

const ATTR = /([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The context inside an element: its parent's, plus the xmlns declarations among its attributes. */
export function withDeclarations(parent: ReadonlyMap<string, string>, attrs: string): ReadonlyMap<string, string> {
  let map: Map<string, string> | undefined;
  ATTR.lastIndex = 0;
  for (let m = ATTR.exec(attrs); m; m = ATTR.exec(attrs)) {
    const name = m[1];
    if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
    map ??= new Map(parent);
    map.set(name === 'xmlns' ? '' : name.slice(6), m[2] ?? m[3] ?? '');
  }
  return map ?? parent;
}

/** A qualified name's local part and namespace; an undeclared prefix gets a namespace of its own. */
export function resolve(qname: string, nsMap: ReadonlyMap<string, string>): { local: string; ns: string } {
  const colon = qname.indexOf(':');
  if (colon === -1) return { local: qname, ns: nsMap.get('') ?? '' };
  const prefix = qname.slice(0, colon);
  return { local: qname.slice(colon + 1), ns: nsMap.get(prefix) ?? `undeclared:${prefix}` };
}
