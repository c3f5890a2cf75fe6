/**
 * The work a parse does, counted in characters read: what the tokenizer reads (again after each
 * restart), what the engine's own scans over ranges of the text read, and each open element an end
 * tag is matched against. Tests bound it per input byte, where a bound on time flakes on a busy
 * machine. Only they pass one in: a parse given none counts nothing.
 */
export interface WorkCount {
  chars: number;
}
