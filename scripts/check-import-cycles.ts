// Fails when the modules under src/ import each other in a circle, type-only imports included.
// Part of `npm run lint`. TypeScript's own scanner finds every import (`import`, `import type`,
// `export ... from`, `import()`), and its module resolution (tsconfig.json's, NodeNext) maps each
// `./x.js` to the file it names, so what is checked is what the compiler sees.
// Usage: tsx scripts/check-import-cycles.ts [dir ...]   (default: src)
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const dirs = (process.argv.length > 2 ? process.argv.slice(2) : ['src']).map((d) => path.resolve(root, d));

function compilerOptions(): ts.CompilerOptions {
  const file = path.join(root, 'tsconfig.json');
  const read = ts.readConfigFile(file, (f) => ts.sys.readFile(f));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, root).options;
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|cts|tsx)$/.test(e.name) && !/\.d\.[mc]?ts$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Each file's imports that resolve to another checked file. */
function importGraph(files: string[], options: ts.CompilerOptions): Map<string, string[]> {
  const checked = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule;
      if (resolved && !resolved.isExternalLibraryImport && checked.has(path.resolve(resolved.resolvedFileName)))
        targets.add(path.resolve(resolved.resolvedFileName));
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Strongly connected groups of two or more files (Tarjan), each a set of modules that import each other. */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) found.push(group);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One concrete loop through a group (breadth-first from its first file back to it), to show where to cut. */
function loopThrough(group: string[], graph: Map<string, string[]>): string[] {
  const members = new Set(group);
  const start = [...group].sort()[0];
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const loop = [start];
        for (let at: string | undefined = v; at !== undefined && at !== start; at = cameFrom.get(at)) loop.splice(1, 0, at);
        return [...loop, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

const files = dirs.flatMap(sourceFiles);
const graph = importGraph(files, compilerOptions());
const groups = circles(graph);
const show = (f: string) => path.relative(root, f);
for (const group of groups) {
  console.error(`import circle of ${group.length} modules: ${group.map(show).sort().join(', ')}`);
  console.error(`  for example: ${loopThrough(group, graph).map(show).join(' -> ')}`);
}
if (groups.length > 0) {
  console.error(`${groups.length} import circle(s) among ${files.length} modules; cut one import of each loop.`);
  process.exit(1);
}
console.log(`no import circle among ${files.length} modules`);
