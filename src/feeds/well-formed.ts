import { XMLValidator } from 'fast-xml-parser';
import { decodeBody } from './decode.js';

/** A strict XML parser's verdict on a document, beside the hub's lenient reading of it. */
export type WellFormedness = { wellFormed: true } | { wellFormed: false; line: number; col: number; message: string };

/**
 * Whether a body is well-formed XML, by fast-xml-parser's validator: what
 * `crier feed inspect` reports, so a publisher sees what a strict reader
 * would refuse even where Crier's own tolerant engine (spans.ts) read the
 * feed. The validator expands no entity, DOCTYPE ones included. Undefined
 * when the body is not markup (its first character, after any byte order
 * mark and white space, is not `<`): a JSON Feed, a text, nothing.
 */
export function checkWellFormed(body: Buffer, contentType: string | undefined): WellFormedness | undefined {
  const text = decodeBody(body, contentType).text.replace(/^\uFEFF/, '');
  if (!text.trimStart().startsWith('<')) return undefined;
  const verdict = XMLValidator.validate(text);
  if (verdict === true) return { wellFormed: true };
  const { line, col, msg } = verdict.err;
  return { wellFormed: false, line, col, message: msg };
}

/** The one-line form: `well-formed: yes`, or `well-formed: no (line L, col C: message)`. */
export function describeWellFormedness(verdict: WellFormedness): string {
  return verdict.wellFormed ? 'well-formed: yes' : `well-formed: no (line ${verdict.line}, col ${verdict.col}: ${verdict.message})`;
}
