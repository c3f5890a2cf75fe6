import fs from 'node:fs';
import path from 'node:path';
import { HubError } from '../errors.js';

/**
 * The embedded hub's data directory (HUB_DATA_DIR) holds the database files,
 * its WAL (where subscribers' callback URLs and tokens sit in clear) and
 * secret.key: no other local user may read or change any of it. PostgreSQL
 * refuses a data directory with group or other access; PGlite does not, and
 * writes what initdb makes with mode 0666 whatever the process umask (its
 * WebAssembly file system chmods each file it creates to the mode its own
 * umask left), so the hub sets the modes itself: the directory 0700, what is
 * under it owner-only (directories 0700, files without group and other bits).
 * The directory being 0700 is what keeps a file PostgreSQL makes later
 * (pg_internal.init is written 0644) out of other users' reach until the
 * next pass tightens it.
 */

/**
 * Creates `dir` 0700 when missing, then takes group and other access off it
 * and everything under it; returns how many entries it changed.
 */
export function secureDataDir(dir: string): number {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const top = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && top.uid !== uid) {
    throw new HubError(
      'HUB_ERR_CONFIG',
      `data directory ${dir} is owned by uid ${top.uid}, not by this user (uid ${uid}): ` +
        'run the hub as the directory’s owner, or point HUB_DATA_DIR at a directory this user owns',
    );
  }
  return tighten(dir, top);
}

function tighten(file: string, stat: fs.Stats): number {
  // A symbolic link's own mode means nothing, and what it points to is not the hub's to change.
  if (stat.isSymbolicLink()) return 0;
  let changed = 0;
  const mode = stat.mode & 0o7777;
  const wanted = stat.isDirectory() ? (mode & 0o7700) | 0o700 : mode & 0o7700;
  if (mode !== wanted) {
    try {
      fs.chmodSync(file, wanted);
    } catch (err) {
      throw new HubError(
        'HUB_ERR_CONFIG',
        `cannot make ${file} private to this user (mode ${mode.toString(8)}): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    changed++;
  }
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(file)) {
      const child = path.join(file, name);
      changed += tighten(child, fs.lstatSync(child));
    }
  }
  return changed;
}
