const START = /<!-- settings:start[^>]*-->\n/;
const END = '<!-- settings:end -->';

/** The README's generated settings table (between its markers), or undefined when the markers are missing. */
export function settingsTable(readme: string): string | undefined {
  const start = START.exec(readme);
  const end = readme.indexOf(END);
  if (!start || end < 0) return undefined;
  return readme.slice(start.index + start[0].length, end).trimEnd();
}

/** The README with its settings table replaced by `table`. */
export function replaceSettingsTable(readme: string, table: string): string {
  const start = START.exec(readme);
  const end = readme.indexOf(END);
  if (!start || end < 0) throw new Error('README.md has no <!-- settings:start --> ... <!-- settings:end --> markers');
  return readme.slice(0, start.index + start[0].length) + table + '\n' + readme.slice(end);
}
