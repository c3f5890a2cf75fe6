/**
 * `npm run build`'s second step: copies what the built code reads at run time from beside its own
 * module (the console's eta templates and stylesheet, any file of src/ that is not TypeScript)
 * into dist/, so that dist/ runs without src/ (issue 21, item 3).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
fs.cpSync(path.join(root, 'src'), path.join(root, 'dist'), {
  recursive: true,
  filter: (source) => fs.statSync(source).isDirectory() || !source.endsWith('.ts'),
});
