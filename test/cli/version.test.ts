/**
 * `herd --version` prints package.json's version, read at run time: a version bumped without a rebuild
 * (dist/cli/help.json is rendered at build time) must not print the old one.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { helpLines, PACKAGE_FILE, packageVersion, printCachedHelp } from '../../src/cli/help-cache.js';
import { repoRoot } from '../helpers/cli.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('herd --version', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

  it.each([['--version'], ['-V']])('%s prints the version in package.json, with no build', (flag) => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    // Under vitest there is no dist/cli/help.json next to the module: the version cannot come from it.
    expect(printCachedHelp([flag])).toBe(true);
    expect(written).toEqual([`${pkg.version}\n`]);
  });

  it('reads the package.json of herd itself', () => {
    expect(PACKAGE_FILE.href).toBe(pathToFileURL(join(repoRoot, 'package.json')).href);
  });

  it('reads whatever version package.json says now, and leaves an unreadable one to yargs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-version-'));
    try {
      const file = join(dir, 'package.json');
      await writeFile(file, JSON.stringify({ name: 'herd', version: '9.8.7' }));
      expect(packageVersion(pathToFileURL(file))).toBe('9.8.7');
      await writeFile(file, '{ not json');
      expect(packageVersion(pathToFileURL(file))).toBeUndefined();
      expect(packageVersion(pathToFileURL(join(dir, 'missing.json')))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is not rendered into the build-time help cache', () => {
    expect(helpLines(['list'])).toEqual([['--help'], ['list', '--help']]);
  });
});
