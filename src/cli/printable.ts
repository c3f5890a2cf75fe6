/**
 * What a CLI prints of text others wrote (feed titles, headers, query values) must not drive the
 * terminal: an escape sequence can retitle the window, hide or rewrite earlier lines, or on some
 * terminals write files. Every regular expression here is linear (no nested or adjacent unbounded
 * repeats over overlapping classes).
 */
/* eslint-disable no-control-regex -- matching control characters is what this module is for */

// CSI (ESC [ or the C1 byte U+009B): parameter bytes, intermediate bytes, a final byte.
const CSI = /(?:\x1b\[|\u009b)[0-?]*[ -/]*[@-~]?/g;
// OSC, DCS, SOS, PM, APC (ESC ] P X ^ _ or their C1 forms): a string up to BEL or ST.
const STRING_SEQUENCE = /(?:\x1b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\x07\x1b\u009c]*(?:\x07|\x1b\\|\u009c)?/g;
// Any other escape: ESC and the one character it introduces.
const OTHER_ESCAPE = /\x1b[\s\S]?/g;
// What is left of C0 (but tab and newline), DEL and C1.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** `text` with every terminal escape sequence and control character removed, but tabs and newlines. */
export function printable(text: string): string {
  return text.replace(CSI, '').replace(STRING_SEQUENCE, '').replace(OTHER_ESCAPE, '').replace(CONTROL, '');
}

/** As `printable`, for a value printed within one line: its line breaks become spaces, so it cannot fake a line of its own. */
export function oneLine(text: string): string {
  return printable(text.replace(/[\r\n\u2028\u2029]+/g, ' '));
}

/** JSON.stringify leaves C1 and DEL raw, which some terminals obey: escape them, still valid JSON. */
export function printableJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
