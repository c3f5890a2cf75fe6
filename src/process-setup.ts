import v8 from 'node:v8';
import pg from 'pg';

/**
 * Every setting Crier makes for the whole process, in one place. Each is
 * idempotent, so callers that may share a process (the CLI, startHub in
 * tests or an embedding program, a database created on its own) each call
 * what they rely on.
 */

let done = false;

/**
 * What a Crier process that talks to its database sets before anything else:
 * startHub (the composition root) calls it first, and createDatabase too, for
 * `crier migrate` and tests that make a database on their own. The client
 * commands (subscribe, feed, ...) never load `pg` and do not call it.
 *  - `pg` reads int8 (bigint, count(*)) as a number, for every pool and
 *    client in the process: our ids and counts stay far below 2^53.
 */
export function setUpProcess(): void {
  if (done) return;
  done = true;
  pg.types.setTypeParser(20, (value: string) => Number(value));
}

let baselineOnly = false;

/**
 * Stops V8 from recompiling hot WebAssembly functions with its optimising
 * compiler (TurboFan), so PostgreSQL runs on the code of its baseline
 * compiler (Liftoff) throughout (HUB_DB_WASM_BASELINE_ONLY). The optimised
 * code and the compilers' freed working memory (which the C heap keeps) came
 * to about 70 MB of an idle hub; the price is CPU (about a third more of the
 * hub's CPU per topic in the many-topics bench). V8's flags belong to the
 * process, and V8 reads them each time a function is due for tier-up, not
 * once per module (switching them back on after PGlite had opened let it tier
 * up again as it worked), so this holds for every WebAssembly module in the
 * process from now on, undici's HTTP parser on the hub's thread included.
 * Called where the embedded database starts (openPglite, in the database
 * thread and in the initdb process), as it depends on that setting; from
 * Node 22 on V8 ignores it once running (see baselineOnlyTakesEffect).
 */
export function keepWasmOnBaselineCompiler(): void {
  if (baselineOnly) return;
  baselineOnly = true;
  v8.setFlagsFromString('--liftoff-only');
}
