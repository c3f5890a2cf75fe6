import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = process.cwd();
// This file's own titles name ids to describe the page, not to test them.
const SELF = path.join(ROOT, 'test/unit/requirements-doc.test.ts');
const doc = fs.readFileSync(path.join(ROOT, 'docs/websub-requirements.md'), 'utf8');

/** The text of every string and template literal in `source`: comments are not in it. */
function literals(file: string, source: string): string[] {
  const texts: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) texts.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  return texts;
}

/**
 * Ids named in test titles: `test('H14: ...'` or `'H2 H28: ...'`, in every test
 * file. Only strings count: an id a comment mentions is not a test naming it.
 */
function idsNamedByTests(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts') && full !== SELF) {
        for (const text of literals(full, fs.readFileSync(full, 'utf8'))) {
          for (const m of text.matchAll(/\bH(\d{1,2})\b/g)) {
            const id = `H${m[1]}`;
            if (!found.has(id)) found.set(id, new Set());
            found.get(id)!.add(entry.name.replace(/\.test\.ts$/, ''));
          }
        }
      }
    }
  };
  walk(path.join(ROOT, 'test'));
  return found;
}

describe('docs/websub-requirements.md', () => {
  const rows = [...doc.matchAll(/^\| (H\d+) \| [a-z]+ \| .* \| (.*) \|$/gm)].map((m) => ({ id: m[1], shownIn: m[2] }));
  const named = idsNamedByTests();

  test('lists H1 to H28 once each', () => {
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 28 }, (_, i) => `H${i + 1}`));
  });

  test('every requirement not marked unused has a test naming it, in the files the page says', () => {
    for (const { id, shownIn } of rows) {
      if (shownIn === '(not used)') continue;
      const files = shownIn.split(', ');
      expect([id, [...(named.get(id) ?? [])].sort()]).toEqual([id, expect.arrayContaining(files)]);
    }
  });

  test('tests name no id the page does not list', () => {
    const listed = new Set(rows.map((r) => r.id));
    expect([...named.keys()].filter((id) => !listed.has(id))).toEqual([]);
  });
});
