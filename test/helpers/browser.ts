import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium package (`.ci/run` installs it); playwright's own browser downloads do not work here. */
export const CHROMIUM = process.env.CRIER_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumPresent(): boolean {
  return fs.existsSync(CHROMIUM);
}

/** A headless Chromium that stays off the network (no updates, sync or background fetches). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
