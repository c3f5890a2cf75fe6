import type { Attribute } from './markup.js';

/** Namespace URIs the feed formats are told apart by. */
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
  sy: 'http://purl.org/rss/1.0/modules/syndication/',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

/**
 * The prefixes in scope while a document is scanned: one stack of bindings per
 * prefix, pushed by an element's xmlns attributes and popped when it closes.
 * Entering, leaving and resolving cost time in proportion to the declarations
 * involved, never to how many are in scope (copying a map per element made a
 * document with thousands of prefixes quadratic).
 */
export class NamespaceScope {
  private readonly bindings = new Map<string, string[]>([['xml', [NS.xml]]]);

  /** Binds the element's xmlns declarations; returns the prefixes to pass to `leave`. */
  enter(attributes: readonly Attribute[]): string[] | undefined {
    let declared: string[] | undefined;
    for (const { name, value } of attributes) {
      if (!name.startsWith('xmlns') || (name.length > 5 && name.charCodeAt(5) !== 58)) continue;
      const prefix = name.length === 5 ? '' : name.slice(6);
      let stack = this.bindings.get(prefix);
      if (!stack) this.bindings.set(prefix, (stack = []));
      stack.push(value);
      (declared ??= []).push(prefix);
    }
    return declared;
  }

  leave(declared: readonly string[] | undefined): void {
    if (declared) for (const prefix of declared) this.bindings.get(prefix)?.pop();
  }

  /** A qualified name's local part and namespace; an undeclared prefix gets a namespace of its own. */
  resolve(qname: string): { local: string; ns: string } {
    const colon = qname.indexOf(':');
    const prefix = colon === -1 ? '' : qname.slice(0, colon);
    const stack = this.bindings.get(prefix);
    const bound = stack && stack.length ? stack[stack.length - 1] : undefined;
    if (colon === -1) return { local: qname, ns: bound ?? '' };
    return { local: qname.slice(colon + 1), ns: bound ?? `undeclared:${prefix}` };
  }
}
