/**
 * Long parses as generators that yield between slices of work (a 64 KiB
 * chunk of markup, a batch of entries). The sync driver runs them straight
 * through; the async one hands the event loop back every few milliseconds, so
 * an HTTP front sharing the thread keeps answering while a big or hostile
 * topic is parsed. Both stop a parse whose own running time passes its budget.
 */

export type Steps<T> = Generator<void, T, void>;

export type Budgeted<T> = { done: true; value: T } | { done: false };

/** Time slice after which the async driver yields to the event loop. */
const SLICE_MS = 8;

/** Runs `steps` to the end, or until they have run for `budgetMs`. */
export function runSteps<T>(steps: Steps<T>, budgetMs: number): Budgeted<T> {
  const start = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return { done: true, value: r.value };
    if (performance.now() - start > budgetMs) {
      steps.return(undefined as T);
      return { done: false };
    }
  }
}

/** As `runSteps`, yielding to the event loop between slices; only the parse's own time counts against the budget. */
export async function runStepsAsync<T>(steps: Steps<T>, budgetMs: number): Promise<Budgeted<T>> {
  let spent = 0;
  let sliceStart = performance.now();
  for (;;) {
    const r = steps.next();
    const now = performance.now();
    if (r.done) return { done: true, value: r.value };
    if (spent + (now - sliceStart) > budgetMs) {
      steps.return(undefined as T);
      return { done: false };
    }
    if (now - sliceStart >= SLICE_MS) {
      spent += now - sliceStart;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
