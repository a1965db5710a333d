#!/usr/bin/env node
// Renders herd's help and version text with yargs at build time into dist/cli/help.json, for the
// widths yargs uses when stdout is not a terminal (100) and on a wide one (110). src/cli/help-cache.ts
// prints it as it is, so that `herd --help` does not load yargs; a test compares it with yargs' live output.
import { readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
// The text is the one yargs prints in English (other locales are rendered by yargs at run time).
process.env.LC_ALL = 'en_US';
const { COMMANDS } = await import(join(dist, 'cli', 'commands', 'index.js'));
const { declarationsFingerprint, helpLines } = await import(join(dist, 'cli', 'help-cache.js'));
const { buildParser } = await import(join(dist, 'cli', 'yargs-cli.js'));

/** What yargs prints for `argv` at `width`. */
async function render(argv, width) {
  const lines = [];
  const log = console.log;
  console.log = (...args) => lines.push(`${args.join(' ')}\n`);
  try {
    await buildParser(argv, width).parseAsync();
  } finally {
    console.log = log;
  }
  return lines.join('');
}

const texts = {};
for (const width of [100, 110]) {
  texts[width] = {};
  for (const argv of helpLines(COMMANDS.map((c) => c.name)))
    texts[width][argv.join(' ')] = await render(argv, width);
}
const locales = join(dirname(createRequire(import.meta.url).resolve('yargs')), 'locales');
const translated = readdirSync(locales)
  .filter((f) => f.endsWith('.json') && f !== 'en.json')
  .map((f) => f.slice(0, -5));
writeFileSync(
  join(dist, 'cli', 'help.json'),
  `${JSON.stringify({ texts, translated, declarations: declarationsFingerprint() })}\n`,
);
console.log(`render-help: wrote dist/cli/help.json (${Object.keys(texts[100]).length} texts x 2 widths)`);
