/** Shared helpers for the config tests: write configs to temp dirs (removed after each test) and load them. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/errors.js';

export const PLAYBOOKS = '/opt/herd/playbooks';

/** Removes the common indentation of a template literal, so tests can indent INI text. */
export function ini(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const indents = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => /^ */.exec(l)![0].length);
  const cut = Math.min(...indents);
  return text
    .split('\n')
    .map((l) => l.slice(cut))
    .join('\n');
}

/** A temp directory deleted when the current test finishes (pass or fail). */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-config-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface Loaded {
  config: LoadedConfig;
  dir: string;
  /** The main config file. */
  main: string;
}

/**
 * Writes `main` as `<dir>/config` and `dropIns` as `<dir>/config.d/<name>`, loads it and removes
 * the directory again (loading reads everything; paths in the result stay meaningful for asserts).
 */
export async function loadText(
  main: string,
  options: { dropIns?: Record<string, string>; env?: Record<string, string | undefined> } = {},
): Promise<Loaded> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-config-'));
  try {
    const file = join(dir, 'config');
    // 0600 like a config that holds credentials should be (a readable one gets a warning of its own).
    await writeFile(file, main, { mode: 0o600 });
    if (options.dropIns) {
      await mkdir(`${file}.d`);
      for (const [name, text] of Object.entries(options.dropIns))
        await writeFile(join(`${file}.d`, name), text);
    }
    const env = { HOME: '/home/tester', ...options.env };
    return { config: await loadConfig({ configPath: file, env, playbooksDir: PLAYBOOKS }), dir, main: file };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every problem of a loaded config: global errors and those of invalid templates. */
export function allProblems(config: LoadedConfig): ConfigProblem[] {
  return [...config.errors, ...[...config.invalid.values()].flatMap((t) => t.problems)];
}

/** 1-based line of the first line of `text` that contains `needle` (after line `after`). */
export function lineOf(text: string, needle: string, after = 0): number {
  const index = text.split('\n').findIndex((line, i) => i >= after && line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" not in config text`);
  return index + 1;
}
