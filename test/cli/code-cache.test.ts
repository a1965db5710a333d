/**
 * The V8 code cache of bin/herd: each case runs a copy of the built herd (bin/, dist/, package.json and a
 * link to node_modules) in a temp directory, so that it owns the cache beside its bundle. A cache that is
 * used is not written again (its file keeps its inode); one that is corrupt, truncated, made for another
 * bundle or another Node is ignored (herd's output stays the same) and rewritten; a place where the cache
 * cannot be written costs nothing but the cache.
 */
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, readdir, readFile, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, herdBin, makeTempDir, repoRoot, runHerd } from '../helpers/cli.js';

const CONFIG =
  '[cloud/local]\nprovider=local\n[login/l]\nimage_user=root\n[setup/s]\nfrontend_groups=slurm_master\n' +
  '[cluster/slurm]\ncloud=local\nlogin=l\nsetup=s\nfrontend_nodes=1\n';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A copy of the built herd without any cache, and a config for it. */
async function herdCopy(): Promise<{
  dir: string;
  bin: string;
  bundle: string;
  env: Record<string, string>;
}> {
  const temp = await makeTempDir('herd-code-cache-');
  cleanups.push(temp.cleanup);
  const dir = temp.dir;
  // Readable by nobody too (the cases below that run herd as nobody); writable by root only.
  await chmod(dir, 0o755);
  await cp(join(repoRoot, 'bin'), join(dir, 'bin'), { recursive: true });
  await cp(join(repoRoot, 'dist'), join(dir, 'dist'), {
    recursive: true,
    filter: (source) => !source.endsWith('.v8cache'),
  });
  await cp(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  await writeFile(join(dir, 'config'), CONFIG);
  const env = { PATH: process.env['PATH'] ?? '', LC_ALL: 'C', HERD_CONFIG: join(dir, 'config') };
  return { dir, bin: join(dir, 'bin', 'herd'), bundle: join(dir, 'dist', 'bundle'), env };
}

/**
 * Runs the herd of `bin` with only the environment `env` (no HOME unless it says so), optionally through
 * `prefix` (setpriv, as another user).
 */
function run(
  bin: string,
  args: string[],
  env: Record<string, string>,
  prefix: string[] = [],
): Promise<CliResult> {
  const cleared = Object.fromEntries(Object.keys(process.env).map((name) => [name, undefined]));
  return runHerd(args, { bin, prefix, env: { ...cleared, ...env } });
}

/** The cache files in `dir`, by name, with their inode (a rewritten file is a new one: temp + rename). */
async function cacheFiles(dir: string): Promise<Map<string, number>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.v8cache'));
  return new Map(await Promise.all(names.map(async (n) => [n, (await stat(join(dir, n))).ino] as const)));
}

/** The cache file of the start-up chunk (config loading, list-templates). */
async function startupCache(bundle: string): Promise<string> {
  const name = (await readdir(bundle)).find((n) => /^bundle-startup-.*\.cjs\.v8cache$/.test(n));
  expect(name, 'the start-up chunk has a cache file').toBeDefined();
  return join(bundle, name!);
}

/** What herd prints without any code cache: the output every run must match. */
let expected: CliResult;
beforeAll(async () => {
  try {
    const copy = await herdCopy();
    expected = await run(copy.bin, ['list-templates'], { ...copy.env, HERD_NO_CODE_CACHE: '1' });
    expect(expected.code).toBe(0);
    expect(expected.stdout).toMatch(/name: +slurm/);
    expect(await cacheFiles(copy.bundle)).toEqual(new Map());
  } finally {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  }
});

describe('code cache', () => {
  it('compiles chunks that run in strict mode, as the ES modules of dist/ do', async () => {
    const bundle = join(repoRoot, 'dist', 'bundle');
    const chunks = (await readdir(bundle)).filter((n) => n.endsWith('.cjs'));
    expect(chunks).toContain('herd.cjs');
    for (const chunk of chunks) {
      expect((await readFile(join(bundle, chunk), 'utf8')).startsWith('"use strict";'), chunk).toBe(true);
    }
  });

  it('is written beside the bundle by the first run and used, not rewritten, by the next', async () => {
    const { bin, bundle, env } = await herdCopy();
    expect(await run(bin, ['list-templates'], env)).toEqual(expected);
    const first = await cacheFiles(bundle);
    const names = [...first.keys()];
    for (const chunk of [
      /^bundle-herd\.cjs/,
      /^bundle-cli-/,
      /^bundle-startup-/,
      /^config-schema-validators-/,
    ]) {
      expect(
        names.some((n) => chunk.test(n)),
        `${chunk} in ${names}`,
      ).toBe(true);
    }
    expect(await run(bin, ['list-templates'], env)).toEqual(expected);
    expect(await cacheFiles(bundle)).toEqual(first);
    // Another command adds the chunks it loads and leaves the others alone.
    const version = await run(bin, ['--version'], env);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(
      JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')).version,
    );
    expect(await cacheFiles(bundle)).toEqual(first);
  });

  /** Ways a cache file goes bad: each must be ignored and rewritten. */
  const spoilers: [string, (file: string, bundle: string) => Promise<void>][] = [
    [
      'a corrupt cache (one byte of the data changed)',
      async (file) => {
        const bytes = await readFile(file);
        const at = bytes.length - 1000;
        bytes[at] = bytes[at]! ^ 0xff;
        await writeFile(file, bytes);
      },
    ],
    ['a truncated cache', (file) => truncate(file, 5000)],
    ['an empty cache file', (file) => truncate(file, 0)],
    [
      'a cache made by another Node (a valid file with another version in its key)',
      async (file) => {
        const bytes = await readFile(file);
        await writeFile(
          file,
          Buffer.from(bytes.toString('latin1').replace(process.version, 'v20.0.0'), 'latin1'),
        );
      },
    ],
    [
      'a cache made for another bundle (the chunk changed since)',
      async (_file, bundle) => {
        const chunk = (await readdir(bundle)).find((n) => /^startup-.*\.cjs$/.test(n))!;
        await writeFile(join(bundle, chunk), `${await readFile(join(bundle, chunk), 'utf8')}\n// rebuilt\n`);
      },
    ],
  ];

  it.each(spoilers)('%s is ignored: same output, and rewritten', async (_name, spoil) => {
    const { bin, bundle, env } = await herdCopy();
    expect(await run(bin, ['list-templates'], env)).toEqual(expected);
    const file = await startupCache(bundle);
    await spoil(file, bundle);
    const spoiled = await readFile(file);
    const before = (await stat(file)).ino;
    expect(await run(bin, ['list-templates'], env)).toEqual(expected);
    const rewritten = await readFile(file);
    expect((await stat(file)).ino).not.toBe(before);
    expect(rewritten.equals(spoiled)).toBe(false);
    // The new file is sound: its header's checksum and length are those of its data.
    const end = rewritten.indexOf(10);
    const [crc, length] = rewritten.toString('latin1', 0, end).split(' ').slice(-2).map(Number);
    const data = rewritten.subarray(end + 1);
    expect([crc32(data), data.length]).toEqual([crc, length]);
    // ... and used by the next run.
    const after = await cacheFiles(bundle);
    expect(await run(bin, ['list-templates'], env)).toEqual(expected);
    expect(await cacheFiles(bundle)).toEqual(after);
  });

  it('starts from nothing in several herds at once: all print the same, the cache ends up whole', async () => {
    const { bin, bundle, env } = await herdCopy();
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => run(bin, ['list-templates'], env)));
    for (const r of results) expect(r).toEqual(expected);
    const files = await cacheFiles(bundle);
    expect(files.size).toBeGreaterThan(3);
    expect((await readdir(bundle)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await run(bin, ['list-templates'], env)).toEqual(expected);
    expect(await cacheFiles(bundle)).toEqual(files);
  });

  it('is neither read nor written with HERD_NO_CODE_CACHE=1 or --debug', async () => {
    const { bin, bundle, env } = await herdCopy();
    expect(await run(bin, ['list-templates'], { ...env, HERD_NO_CODE_CACHE: '1' })).toEqual(expected);
    const debug = await run(bin, ['list-templates', '--debug'], env);
    expect(debug.code).toBe(0);
    expect(debug.stdout).toBe(expected.stdout);
    expect(await cacheFiles(bundle)).toEqual(new Map());
  });
});

// Root ignores file modes: a user who may not write beside the bundle is nobody, through setpriv.
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const nobodyCanRunHerd =
  process.getuid?.() === 0 &&
  spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'test', '-r', herdBin]).status === 0;

describe.skipIf(!nobodyCanRunHerd)('code cache of a herd installed read-only', () => {
  it('without HOME: herd works as before and writes nothing', async () => {
    const { dir, bin, bundle, env } = await herdCopy();
    const r = await run(bin, ['list-templates'], env, AS_NOBODY);
    expect(r).toEqual(expected);
    expect(await cacheFiles(bundle)).toEqual(new Map());
    expect((await readdir(bundle)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(dir)).not.toContain('.cache');
  });

  it('with an unwritable HOME: herd works as before', async () => {
    const { dir, bin, bundle, env } = await herdCopy();
    // The copy's directory is root's (0700 as made): nobody may not write there.
    expect(await run(bin, ['list-templates'], { ...env, HOME: dir }, AS_NOBODY)).toEqual(expected);
    expect(await cacheFiles(bundle)).toEqual(new Map());
  });

  it.each([
    ['$HOME/.cache/herd/code-cache', (home: string) => ({ HOME: home }), '.cache'],
    ['$XDG_CACHE_HOME/herd/code-cache', (home: string) => ({ XDG_CACHE_HOME: join(home, 'xdg') }), 'xdg'],
  ])('falls back to %s, made 0700, and uses it', async (_name, cacheEnv, under) => {
    const { bin, bundle, env } = await herdCopy();
    const home = await makeTempDir('herd-code-cache-home-');
    cleanups.push(home.cleanup);
    await mkdir(join(home.dir, 'xdg'));
    spawnSync('chown', ['-R', '65534:65534', home.dir]);
    const runEnv = { ...env, ...cacheEnv(home.dir) };
    expect(await run(bin, ['list-templates'], runEnv, AS_NOBODY)).toEqual(expected);
    const cacheDir = join(home.dir, under, 'herd', 'code-cache');
    const files = await cacheFiles(cacheDir);
    expect([...files.keys()].some((n) => n.startsWith('bundle-startup-'))).toBe(true);
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    expect(await cacheFiles(bundle)).toEqual(new Map());
    expect(await run(bin, ['list-templates'], runEnv, AS_NOBODY)).toEqual(expected);
    expect(await cacheFiles(cacheDir)).toEqual(files);
  });
});
