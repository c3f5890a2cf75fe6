import { chromium, type Browser } from 'playwright-core';
import { executable, type Program } from './programs.js';

/** Debian's chromium package (`.ci/run` installs it); playwright's own browser downloads do not work here. */
export const CHROMIUM = process.env.CRIER_CHROMIUM ?? '/usr/bin/chromium';

/** What the browser suites need: `describeWith(CHROMIUM_PROGRAM)` skips them where it is missing. */
export const CHROMIUM_PROGRAM: Program = {
  what: `Chromium at ${CHROMIUM}`,
  found: executable(CHROMIUM),
  install: 'apt-get install chromium, or set CRIER_CHROMIUM',
};

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
