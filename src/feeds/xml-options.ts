import { XMLParser, type X2jOptions } from 'fast-xml-parser';
import { decodeEntities } from './html-entities.js';

/**
 * The entity decoder fast-xml-parser uses. It expands numeric references and
 * the XML + HTML named entities (one character each, never recursively) and
 * ignores every entity a DOCTYPE declares: the DOCTYPE is tolerated but inert,
 * so neither internal entity bombs nor external entities can do anything.
 */
const inertDoctypeEntities = {
  setExternalEntities: (): void => undefined,
  addInputEntities: (): void => undefined,
  reset: (): void => undefined,
  setXmlVersion: (): void => undefined,
  decode: decodeEntities,
};

/** Element local names that may repeat where the engine reads them. */
const ALWAYS_ARRAY = new Set(['item', 'entry', 'link']);

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

/**
 * The one pinned fast-xml-parser option set used everywhere in Crier
 * (engine and tests). FX defaults `maxTotalExpansions` to Infinity, so every
 * entity limit is set explicitly even though our decoder never expands
 * DOCTYPE entities at all.
 */
export const XML_OPTIONS: Readonly<X2jOptions> = Object.freeze({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  removeNSPrefix: false,
  allowBooleanAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: {
    enabled: true,
    maxEntitySize: 1024,
    maxExpansionDepth: 1,
    maxTotalExpansions: 10_000,
    maxExpandedLength: 1_000_000,
    maxEntityCount: 64,
  },
  htmlEntities: false,
  entityDecoder: inertDoctypeEntities,
  maxNestedTags: 256,
  isArray: (name: string) => ALWAYS_ARRAY.has(localName(name)),
});

/** A fast-xml-parser instance with the pinned options; cheap, make one per use. */
export function createXmlParser(): XMLParser {
  return new XMLParser(XML_OPTIONS);
}
