/**
 * `npm run docs:config`: writes the README's configuration table from src/settings.ts, the one
 * place a setting is declared. test/unit/config.test.ts fails when the README is out of date.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configTableMarkdown } from '../src/config.js';
import { replaceSettingsTable } from './readme-settings.js';

const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
fs.writeFileSync(readme, replaceSettingsTable(fs.readFileSync(readme, 'utf8'), configTableMarkdown()));
