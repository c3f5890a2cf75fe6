import fs from 'node:fs';

/**
 * A name other than localhost that /etc/hosts maps to loopback (the machine's
 * own hostname usually is one): a name no URL-string check can recognise, so
 * only the guarded lookup can refuse it. Undefined when there is none.
 */
export function loopbackAlias(): string | undefined {
  const text = fs.readFileSync('/etc/hosts', 'utf8');
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*$/, '').trim().split(/\s+/);
    if (!address || !/^127\.\d+\.\d+\.\d+$/.test(address)) continue;
    const name = names.find((n) => n && !/localhost/i.test(n) && !/^(ip6-)?loopback$/i.test(n));
    if (name) return name;
  }
  return undefined;
}
