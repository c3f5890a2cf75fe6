/**
 * Named character references real feeds use without declaring them: the five
 * XML ones plus the 248 of HTML 4 (&nbsp; &hellip; &eacute; ...). Publishers
 * paste HTML into feeds and servers serve them without a DTD, so a strict XML
 * parser rejects them; feedparser's lenient mode accepts them and so do we.
 * Entities declared in a DOCTYPE are never expanded (see checkReferences below).
 */
const TABLE =
  'quot 34 amp 38 apos 39 lt 60 gt 62 nbsp 160 iexcl 161 cent 162 pound 163 curren 164 yen 165 brvbar 166 ' +
  'sect 167 uml 168 copy 169 ordf 170 laquo 171 not 172 shy 173 reg 174 macr 175 deg 176 plusmn 177 sup2 178 ' +
  'sup3 179 acute 180 micro 181 para 182 middot 183 cedil 184 sup1 185 ordm 186 raquo 187 frac14 188 frac12 189 ' +
  'frac34 190 iquest 191 Agrave 192 Aacute 193 Acirc 194 Atilde 195 Auml 196 Aring 197 AElig 198 Ccedil 199 ' +
  'Egrave 200 Eacute 201 Ecirc 202 Euml 203 Igrave 204 Iacute 205 Icirc 206 Iuml 207 ETH 208 Ntilde 209 ' +
  'Ograve 210 Oacute 211 Ocirc 212 Otilde 213 Ouml 214 times 215 Oslash 216 Ugrave 217 Uacute 218 Ucirc 219 ' +
  'Uuml 220 Yacute 221 THORN 222 szlig 223 agrave 224 aacute 225 acirc 226 atilde 227 auml 228 aring 229 ' +
  'aelig 230 ccedil 231 egrave 232 eacute 233 ecirc 234 euml 235 igrave 236 iacute 237 icirc 238 iuml 239 ' +
  'eth 240 ntilde 241 ograve 242 oacute 243 ocirc 244 otilde 245 ouml 246 divide 247 oslash 248 ugrave 249 ' +
  'uacute 250 ucirc 251 uuml 252 yacute 253 thorn 254 yuml 255 OElig 338 oelig 339 Scaron 352 scaron 353 ' +
  'Yuml 376 fnof 402 circ 710 tilde 732 Alpha 913 Beta 914 Gamma 915 Delta 916 Epsilon 917 Zeta 918 Eta 919 ' +
  'Theta 920 Iota 921 Kappa 922 Lambda 923 Mu 924 Nu 925 Xi 926 Omicron 927 Pi 928 Rho 929 Sigma 931 Tau 932 ' +
  'Upsilon 933 Phi 934 Chi 935 Psi 936 Omega 937 alpha 945 beta 946 gamma 947 delta 948 epsilon 949 zeta 950 ' +
  'eta 951 theta 952 iota 953 kappa 954 lambda 955 mu 956 nu 957 xi 958 omicron 959 pi 960 rho 961 sigmaf 962 ' +
  'sigma 963 tau 964 upsilon 965 phi 966 chi 967 psi 968 omega 969 thetasym 977 upsih 978 piv 982 ensp 8194 ' +
  'emsp 8195 thinsp 8201 zwnj 8204 zwj 8205 lrm 8206 rlm 8207 ndash 8211 mdash 8212 lsquo 8216 rsquo 8217 ' +
  'sbquo 8218 ldquo 8220 rdquo 8221 bdquo 8222 dagger 8224 Dagger 8225 bull 8226 hellip 8230 permil 8240 ' +
  'prime 8242 Prime 8243 lsaquo 8249 rsaquo 8250 oline 8254 frasl 8260 euro 8364 image 8465 weierp 8472 ' +
  'real 8476 trade 8482 alefsym 8501 larr 8592 uarr 8593 rarr 8594 darr 8595 harr 8596 crarr 8629 lArr 8656 ' +
  'uArr 8657 rArr 8658 dArr 8659 hArr 8660 forall 8704 part 8706 exist 8707 empty 8709 nabla 8711 isin 8712 ' +
  'notin 8713 ni 8715 prod 8719 sum 8721 minus 8722 lowast 8727 radic 8730 prop 8733 infin 8734 ang 8736 ' +
  'and 8743 or 8744 cap 8745 cup 8746 int 8747 there4 8756 sim 8764 cong 8773 asymp 8776 ne 8800 equiv 8801 ' +
  'le 8804 ge 8805 sub 8834 sup 8835 nsub 8836 sube 8838 supe 8839 oplus 8853 otimes 8855 perp 8869 sdot 8901 ' +
  'lceil 8968 rceil 8969 lfloor 8970 rfloor 8971 lang 9001 rang 9002 loz 9674 spades 9824 clubs 9827 ' +
  'hearts 9829 diams 9830';

function buildEntityMap(): ReadonlyMap<string, string> {
  const words = TABLE.split(' ');
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < words.length; i += 2) map.set(words[i], String.fromCodePoint(Number(words[i + 1])));
  return map;
}

/** Entity name (without & and ;) to its character. */
export const NAMED_ENTITIES: ReadonlyMap<string, string> = buildEntityMap();

function fromCodePoint(code: number): string | undefined {
  // XML 1.0 Char production: no NUL, no surrogates, nothing past U+10FFFF.
  if (code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return String.fromCodePoint(code);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * Where the reference `expandReference` last expanded ends (just after its `;`):
 * a variable, not a returned pair, so nothing is allocated.
 */
export let referenceEnd = 0;

/**
 * The character the reference at `amp` (an `&`) stands for, with its end in
 * `referenceEnd`; undefined when there is none to expand there. The syntax is
 * `&#` 1-7 digits, `&#x` 1-6 hex digits or `&` a name of 2-32 letters and
 * digits (a letter first), then `;`; read by hand, without a regular
 * expression or a callback per reference (RSS descriptions hold thousands).
 */
export function expandReference(text: string, amp: number): string | undefined {
  let k = amp + 1;
  let c = text.charCodeAt(k);
  let ch: string | undefined;
  if (c === 35) {
    c = text.charCodeAt(++k);
    const hex = c === 120 || c === 88;
    if (hex) k++;
    const from = k;
    const max = hex ? 6 : 7;
    let code = 0;
    for (let v = hex ? hexValue(text.charCodeAt(k)) : text.charCodeAt(k) - 48; v >= 0 && v < (hex ? 16 : 10) && k - from <= max;) {
      code = code * (hex ? 16 : 10) + v;
      c = text.charCodeAt(++k);
      v = hex ? hexValue(c) : c - 48;
    }
    if (k === from || k - from > max || text.charCodeAt(k) !== 59) return undefined;
    ch = fromCodePoint(code);
  } else {
    if (!isAlpha(c)) return undefined;
    while (k - amp <= 33 && isAlnum(text.charCodeAt(k + 1))) k++;
    k++;
    if (k - amp < 3 || k - amp > 33 || text.charCodeAt(k) !== 59) return undefined;
    ch = NAMED_ENTITIES.get(text.slice(amp + 1, k));
  }
  referenceEnd = k + 1;
  return ch;
}

/**
 * Replaces character references (numeric, XML and HTML named) in `text`. Each
 * reference expands to at most one character, never recursively, so output
 * length never exceeds input length: no entity bomb can pass through here.
 * Unknown names are left as written (`&doesnotexist;` stays literal).
 */
export function decodeEntities(text: string): string {
  let amp = text.indexOf('&');
  if (amp === -1) return text;
  let out = '';
  let last = 0;
  for (; amp !== -1; amp = text.indexOf('&', amp + 1)) {
    const ch = expandReference(text, amp);
    if (ch === undefined) continue;
    out += text.slice(last, amp) + ch;
    last = referenceEnd;
    amp = last - 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || isAlpha(c);
}

const XML_PREDEFINED = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

/**
 * Reports each `&` in `text[start, end)` that XML would refuse: a bare `&`, an
 * entity XML does not predefine (HTML's, read as HTML; others, left as
 * written). With `doctype`, the document's DTD may define entities: HTML's are
 * then expected, and others are reported as not expanded. One pass, no
 * regular expression.
 */
export function checkReferences(
  text: string,
  start: number,
  end: number,
  doctype: boolean,
  report: (what: string, at: number) => void,
): void {
  const run = text.slice(start, end);
  for (let i = run.indexOf('&'); i !== -1; i = run.indexOf('&', i + 1)) {
    let k = i + 1;
    if (run.charCodeAt(k) === 35) {
      k++;
      if (run.charCodeAt(k) === 88) report("'&#X' (XML hex references take a lowercase x)", start + i);
      if (run.charCodeAt(k) === 120 || run.charCodeAt(k) === 88) k++;
    }
    const nameStart = k;
    while (k < run.length && k - nameStart <= 32 && isAlnum(run.charCodeAt(k))) k++;
    const name = run.slice(nameStart, k);
    if (run.charCodeAt(k) !== 59 || name === '') report("bare '&'", start + i);
    else if (nameStart > i + 1 || XML_PREDEFINED.has(name)) continue;
    else if (NAMED_ENTITIES.has(name)) {
      if (!doctype) report(`undeclared entity &${name}; (read as HTML's)`, start + i);
    } else if (doctype) report(`entity &${name}; not expanded (DOCTYPE entities are ignored)`, start + i);
    else report(`undefined entity &${name}; (left as written)`, start + i);
  }
}
