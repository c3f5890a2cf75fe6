/**
 * `npx tsx bench/profile-top.ts <file.cpuprofile> [n] [lastSeconds]`: top functions by self time, and by
 * package; with lastSeconds, only the profile's final seconds (a scenario's measured part, without start-up).
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file, top = '25', lastSeconds] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const at: number[] = [];
profile.timeDeltas.reduce((t, d, i) => (at[i] = t + d), 0);
const from = lastSeconds ? at[at.length - 1] - Number(lastSeconds) * 1e6 : -Infinity;
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  if (at[i] >= from) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const node of profile.nodes) {
  const t = self.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  const pkg =
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    (url.includes('/dist/')
      ? 'crier'
      : url.startsWith('node:')
        ? 'node:' + url.slice(5).split('/')[0]
        : url
          ? url.split('/').slice(-1)[0]
          : functionName);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
}
const show = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .forEach(([k, v]) => console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`));
console.log(`total ${(total / 1e6).toFixed(2)} s sampled\n-- by package`);
show(byPkg, 15);
console.log('-- by function (self)');
show(byFn, Number(top));
