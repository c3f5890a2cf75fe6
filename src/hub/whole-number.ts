import { HubError } from '../errors.js';

/** The codes of the parameters that take a whole number. */
export type WholeNumberCode =
  'HUB_ERR_PARAM_COUNT_INVALID' | 'HUB_ERR_PARAM_INITIAL_INVALID' | 'HUB_ERR_PARAM_SEQ_INVALID' | 'HUB_ERR_PARAM_TIMEOUT_INVALID';

/**
 * A parameter's whole number from `min` to `max`: undefined when absent or
 * blank, else digits only, no more of them than `max` has ("0010" is no
 * count up to 50), or the error `code` naming the field.
 */
export function wholeNumber(raw: string | undefined, name: string, min: number, max: number, code: WholeNumberCode): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const digits = raw.trim();
  const value = Number(digits);
  if (!/^\d+$/.test(digits) || digits.length > String(max).length || value < min || value > max)
    throw new HubError(code, `${name} must be a whole number from ${min} to ${max}, got "${raw.slice(0, 40)}"`);
  return value;
}
