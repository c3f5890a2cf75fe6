/** What one verification of intent decided (src/verification/verifier.ts), for the verify job and hub.verify=sync. */
export type Verdict =
  | { kind: 'confirmed' }
  | { kind: 'refused'; status: number }
  | { kind: 'failed'; permanent: boolean; error: string; unanswered?: boolean }
  | { kind: 'denied' };
