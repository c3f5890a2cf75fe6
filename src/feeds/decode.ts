/**
 * Bytes to text. Precedence (RFC 7303 §3 and the WHATWG encoding sniffing
 * rules servers actually rely on): a byte order mark, then the charset
 * parameter of the HTTP Content-Type, then the XML declaration's encoding,
 * then UTF-8; bytes that are not valid UTF-8 without any declared charset are
 * read as windows-1252 (what feedparser and browsers do). Node 20 ships full
 * ICU, so TextDecoder knows every legacy label (Shift_JIS, EUC-KR, Big5 ...).
 */
export interface DecodedText {
  text: string;
  /** WHATWG name of the encoding actually used, e.g. `utf-8`, `shift_jis`. */
  encoding: string;
  /** True when the source bytes were UTF-8, so slices of `text` re-encode to the same bytes. */
  utf8: boolean;
  /** Set when the bytes did not match what was declared and the text is a best reading. */
  problem?: string;
}

const INVALID_UTF8 = 'bytes that are not valid UTF-8 replaced with U+FFFD';

const UTF32LE_BOM = [0xff, 0xfe, 0x00, 0x00];
const UTF32BE_BOM = [0x00, 0x00, 0xfe, 0xff];

function startsWith(body: Uint8Array, bytes: number[]): boolean {
  if (body.length < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (body[i] !== bytes[i]) return false;
  return true;
}

/** `charset` parameter of a Content-Type header value, lower-cased, if any. */
export function charsetFromContentType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return m ? m[1].toLowerCase() : undefined;
}

/** An XML declaration's encoding: the text before it, the quote, the name. Shared with render.ts, which rewrites it. */
export const XML_DECL_ENCODING = /^(\s*<\?xml[^>]*?\sencoding\s*=\s*)(["'])([^"']*)\2/;

/** Encoding named in an `<?xml ... encoding="..."?>` declaration read as ASCII. */
function charsetFromXmlDeclaration(head: string): string | undefined {
  const name = XML_DECL_ENCODING.exec(head)?.[3];
  return name ? name.toLowerCase() : undefined;
}

function decodeUtf32(body: Uint8Array, littleEndian: boolean, skip: number): string {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const parts: string[] = [];
  let chunk: number[] = [];
  for (let i = skip; i + 3 < body.length; i += 4) {
    const cp = view.getUint32(i, littleEndian);
    chunk.push(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? cp : 0xfffd);
    if (chunk.length === 8192) {
      parts.push(String.fromCodePoint(...chunk));
      chunk = [];
    }
  }
  parts.push(String.fromCodePoint(...chunk));
  return parts.join('');
}

/**
 * windows-1252 code points for bytes 0x80-0x9F (WHATWG index-windows-1252);
 * the five bytes it leaves undefined map to the same C1 control, as WHATWG says.
 */
const CP1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/**
 * windows-1252 (also what the labels iso-8859-1, latin1 and us-ascii mean on
 * the web). Done by hand because some Node releases decode it through a
 * latin1 fast path that leaves 0x80-0x9F as C1 controls (seen on Node 20.20).
 */
function decodeWindows1252(body: Uint8Array): string {
  const latin1 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  return latin1.replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_C1[c.charCodeAt(0) - 0x80]));
}

function decodeWith(decoder: TextDecoder, body: Uint8Array): string {
  return decoder.encoding === 'windows-1252' ? decodeWindows1252(body) : decoder.decode(body);
}

/** A TextDecoder for `label`, or undefined when the label is unknown (e.g. `bogus`, `x-fake`). */
function decoderFor(label: string, fatal = false): TextDecoder | undefined {
  try {
    return new TextDecoder(label, { fatal });
  } catch {
    return undefined;
  }
}

function isUtf16Guess(body: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  // `<?` or `<` followed by a zero byte, without BOM (XML 1.0 Appendix F).
  if (body.length >= 4 && body[0] === 0x3c && body[1] === 0 && body[2] !== 0) return 'utf-16le';
  if (body.length >= 4 && body[0] === 0 && body[1] === 0x3c && body[3] !== 0) return 'utf-16be';
  return undefined;
}

function isUtf32Guess(body: Uint8Array): 'le' | 'be' | undefined {
  if (body.length >= 4 && body[0] === 0x3c && body[1] === 0 && body[2] === 0 && body[3] === 0) return 'le';
  if (body.length >= 4 && body[0] === 0 && body[1] === 0 && body[2] === 0 && body[3] === 0x3c) return 'be';
  return undefined;
}

/** Decodes `body` to text following the precedence above; never throws. */
export function decodeBody(body: Uint8Array, contentType: string | undefined): DecodedText {
  if (startsWith(body, UTF32LE_BOM)) return { text: decodeUtf32(body, true, 4), encoding: 'utf-32le', utf8: false };
  if (startsWith(body, UTF32BE_BOM)) return { text: decodeUtf32(body, false, 4), encoding: 'utf-32be', utf8: false };
  if (startsWith(body, [0xef, 0xbb, 0xbf])) {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8', utf8: true };
    } catch {
      return { text: new TextDecoder('utf-8').decode(body), encoding: 'utf-8', utf8: true, problem: INVALID_UTF8 };
    }
  }
  if (startsWith(body, [0xff, 0xfe])) return { text: new TextDecoder('utf-16le').decode(body), encoding: 'utf-16le', utf8: false };
  if (startsWith(body, [0xfe, 0xff])) return { text: new TextDecoder('utf-16be').decode(body), encoding: 'utf-16be', utf8: false };
  const utf32 = isUtf32Guess(body);
  if (utf32) return { text: decodeUtf32(body, utf32 === 'le', 0), encoding: `utf-32${utf32}`, utf8: false };
  const utf16 = isUtf16Guess(body);
  if (utf16) return { text: new TextDecoder(utf16).decode(body), encoding: utf16, utf8: false };

  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, 1024)).toString('latin1');
  const declared = [charsetFromContentType(contentType), charsetFromXmlDeclaration(head)];
  let problem: string | undefined;
  for (const label of declared) {
    if (!label) continue;
    // UTF-16/32 named without BOM or zero-byte pattern cannot be right for an ASCII-looking head.
    if (/^(utf-?16|utf-?32|ucs-?[24]|u16|u32)/.test(label)) continue;
    const decoder = decoderFor(label);
    if (!decoder) {
      problem ??= `unknown charset ${JSON.stringify(label.slice(0, 40))} ignored`;
      continue;
    }
    if (decoder.encoding === 'utf-8') break;
    const decoded: DecodedText = { text: decodeWith(decoder, body), encoding: decoder.encoding, utf8: false };
    if ((label === 'us-ascii' || label === 'ascii') && body.some((b) => b >= 0x80)) {
      decoded.problem = `declared ${label} but holds bytes above 0x7f; read as windows-1252`;
    }
    return decoded;
  }
  try {
    const decoded: DecodedText = { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8', utf8: true };
    if (problem) decoded.problem = problem;
    return decoded;
  } catch {
    if (declared.some((l) => l !== undefined && decoderFor(l)?.encoding === 'utf-8')) {
      // Declared UTF-8 but with bad bytes: keep UTF-8 with replacement characters.
      return { text: new TextDecoder('utf-8').decode(body), encoding: 'utf-8', utf8: true, problem: INVALID_UTF8 };
    }
    const problem = 'bytes are not valid UTF-8 and no charset says what they are; read as windows-1252';
    return { text: decodeWindows1252(body), encoding: 'windows-1252', utf8: false, problem };
  }
}
