import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * Issue 21, item 3: dist/ runs alone. The build (`npm run build`, which `npm test` runs first) copies
 * what the built code reads at run time into dist/; here dist/ is copied on its own next to the
 * package's package.json and its node_modules, with no src/, and a console page is rendered there.
 */
describe('the build', () => {
  test('dist/ copied alone renders the console from templates inside it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crier-dist-alone-'));
    try {
      fs.cpSync(path.resolve('dist'), path.join(dir, 'dist'), { recursive: true });
      fs.copyFileSync(path.resolve('package.json'), path.join(dir, 'package.json'));
      fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'), 'dir');
      const views = pathToFileURL(path.join(dir, 'dist/admin/views.js')).href;
      const script = `
        import fs from 'node:fs';
        import path from 'node:path';
        const { CONSOLE_DIR, createViews } = await import(${JSON.stringify(views)});
        const html = createViews().render('sign-in', { base: '/admin/ui', signedIn: false, error: 'wrong <token>' });
        const css = fs.existsSync(path.join(CONSOLE_DIR, 'public', 'console.css'));
        console.log(JSON.stringify({ dir: CONSOLE_DIR, html, css }));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
      const seen = JSON.parse(stdout) as { dir: string; html: string; css: boolean };
      expect(seen.dir).toBe(path.join(fs.realpathSync(dir), 'dist', 'admin'));
      expect(seen.css).toBe(true);
      expect(seen.html).toContain('<form method="post" action="/admin/ui/sign-in"');
      expect(seen.html).toContain('wrong &lt;token&gt;');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
