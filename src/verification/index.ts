export { createVerifier } from './verifier.js';
export type { Verifier } from './verifier.js';
export type { Verdict } from './verdict.js';
