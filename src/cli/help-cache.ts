/**
 * Help text rendered by yargs at build time (scripts/render-help.mjs writes dist/cli/help.json),
 * printed as it is: `herd --help` and `herd COMMAND --help` then cost no more than reading one file. A
 * terminal of another width or a locale yargs translates gets yargs' own rendering. `herd --version`
 * reads package.json itself, as yargs would: a version bumped without a rebuild is never shown stale.
 */
import { readFileSync } from 'node:fs';
import { COMMANDS, findCommand } from './commands/index.js';
import { BUILT_IN_OPTIONS, GLOBAL_OPTIONS, HERD_EPILOG, HERD_USAGE } from './declare.js';

/** What scripts/render-help.mjs writes. */
export interface HelpCache {
  /** Text by help width, then by normalized command line (`--help`, `start --help`, `--version`). */
  texts: Record<string, Record<string, string>>;
  /** Locales (and languages) yargs has translations for: help there is rendered by yargs. */
  translated: string[];
  /** The declarations the texts were rendered from (see `declarationsFingerprint`). */
  declarations: string;
}

/**
 * The declarations help is rendered from, as text: a build that did not render help again (tsc alone)
 * leaves texts that no longer match, and yargs renders help instead of printing stale text.
 */
export function declarationsFingerprint(): string {
  return JSON.stringify([HERD_USAGE, HERD_EPILOG, GLOBAL_OPTIONS, BUILT_IN_OPTIONS, COMMANDS]);
}

/** The file the build writes, next to this module in dist/. */
export const HELP_CACHE_FILE = new URL('./help.json', import.meta.url);

/** The help width yargs uses on this terminal. */
export function helpWidth(): number {
  return Math.min(110, process.stdout.columns || 100);
}

/** The command lines whose output is rendered ahead: `--help` and `COMMAND --help` (`-h` is `--help`). */
export function helpLines(commands: readonly string[]): string[][] {
  return [['--help'], ...commands.map((c) => [c, '--help'])];
}

/** herd's package.json, two levels up from this module in src/ and in dist/. */
export const PACKAGE_FILE = new URL('../../package.json', import.meta.url);

/** The version in package.json, or undefined when it cannot be read (yargs then says what it finds). */
export function packageVersion(file: URL = PACKAGE_FILE): string | undefined {
  try {
    const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/** The normal form of `argv` when it only asks for help or the version, else undefined. */
export function helpKey(argv: readonly string[]): string | undefined {
  const words = argv.map((w) => (w === '-h' ? '--help' : w === '-V' ? '--version' : w));
  if (words.length === 1 && (words[0] === '--help' || words[0] === '--version')) return words[0];
  if (words.length === 2 && words[1] === '--help' && findCommand(words[0])) return words.join(' ');
  return undefined;
}

/** The locale yargs picks from the environment, e.g. `de_DE` (see yargs' guessLocale). */
export function yargsLocale(env: NodeJS.ProcessEnv): string {
  const locale = env['LC_ALL'] || env['LC_MESSAGES'] || env['LANG'] || env['LANGUAGE'] || 'en_US';
  return locale.replace(/[.:].*/, '');
}

/** Prints the build-time text for `argv` if there is one; false leaves it to yargs. */
export function printCachedHelp(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const key = helpKey(argv);
  if (key === undefined) return false;
  if (key === '--version') {
    const version = packageVersion();
    if (version === undefined) return false;
    process.stdout.write(`${version}\n`);
    return true;
  }
  let cache: HelpCache;
  try {
    cache = JSON.parse(readFileSync(HELP_CACHE_FILE, 'utf8')) as HelpCache;
  } catch {
    return false;
  }
  if (cache.declarations !== declarationsFingerprint()) return false;
  const locale = yargsLocale(env);
  if (cache.translated.includes(locale) || cache.translated.includes(locale.split('_')[0]!)) return false;
  const text = cache.texts[String(helpWidth())]?.[key];
  if (text === undefined) return false;
  process.stdout.write(text);
  return true;
}
