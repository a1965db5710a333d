/**
 * Start-up cost guard: `herd --help`, `herd --version` and `herd list-templates` load only what they
 * use. Each runs the built herd with a module-load trace (test/helpers/trace-modules.mjs), each bundle
 * chunk counted as the modules its source map names; none of the cloud SDKs, SSH, progress display or
 * yargs itself (help comes from the build) may appear, loaded or bundled into a loaded chunk, and
 * list-templates reads only the precompiled validators of the sections its config has. The help text
 * rendered at build time must be exactly what yargs prints.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { type HelpCache, helpLines } from '../../src/cli/help-cache.js';
import { buildParser } from '../../src/cli/yargs-cli.js';
import { sectionSchemaCatalog } from '../../src/config/schema/catalog.js';
import { schemaFileName, schemaKey } from '../../src/util/precompiled.js';
import { herdBin, makeTempDir, repoRoot } from '../helpers/cli.js';

/** Packages a start-up that does not need them must not load. */
const HEAVY = [
  '@aws-sdk',
  '@smithy',
  '@google-cloud',
  'google-auth-library',
  'google-gax',
  'ssh2',
  'listr2',
  'execa',
  'ajv/dist/compile',
  'yargs/',
  'cliui',
  'string-width',
];

let home: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  home = await makeTempDir('herd-startup-');
  await writeFile(
    join(home.dir, 'config'),
    '[cloud/local]\nprovider=local\n[login/l]\nimage_user=root\n[setup/s]\nfrontend_groups=slurm_master\n' +
      '[cluster/slurm]\ncloud=local\nlogin=l\nsetup=s\nfrontend_nodes=1\n',
  );
});
afterAll(() => home.cleanup());

/**
 * The modules in the bundle chunk `url` (dist/bundle/*.cjs): the sources its map names, as file URLs
 * (dist/ modules and the packages inlined with them), after the chunk's own URL; any other URL as it is.
 */
function modulesIn(url: string): string[] {
  const path = url.startsWith('file://') ? fileURLToPath(url) : '';
  // A chunk without a map has no code of its own (it re-exports another chunk's).
  if (!path.startsWith(join(repoRoot, 'dist', 'bundle')) || !existsSync(`${path}.map`)) return [url];
  const map = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as { sources: string[] };
  return [url, ...map.sources.map((source) => pathToFileURL(resolve(dirname(path), source)).href)];
}

/** The modules `herd ...args` loads (file URLs relative to the repository), bundled ones included. */
function modulesLoadedBy(args: string[]): { code: number | null; stdout: string; modules: string[] } {
  const trace = join(home.dir, `trace-${args.join('-')}`);
  const r = spawnSync(
    process.execPath,
    ['--import', join(repoRoot, 'test', 'helpers', 'trace-modules.mjs'), herdBin, ...args],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        LC_ALL: 'C',
        HERD_CONFIG: join(home.dir, 'config'),
        HERD_STORAGE: join(home.dir, 'storage'),
        HERD_TEST_MODULE_TRACE: trace,
      },
    },
  );
  const modules = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file://'))
    .flatMap(modulesIn)
    .map((u) => u.replace(`file://${repoRoot}/`, ''));
  return { code: r.status, stdout: r.stdout, modules };
}

describe('herd start-up', () => {
  it.each([
    [['--help'], /herd <command> \[options\]/],
    [['list-templates'], /name: +slurm/],
    [['--version'], /^\d+\.\d+\.\d+/],
  ])('herd %j loads no cloud SDK, SSH library, progress display or yargs', (args, output) => {
    const { code, stdout, modules } = modulesLoadedBy(args);
    expect(code).toBe(0);
    expect(stdout).toMatch(output);
    // The trace works: herd's own entry point is in it, and bin/herd runs the bundle.
    expect(modules).toContain('dist/cli/main.js');
    expect(modules).toContain('dist/bundle/herd.cjs');
    for (const heavy of HEAVY) {
      expect(
        modules.filter((m) => m.includes(`node_modules/${heavy}`)),
        heavy,
      ).toEqual([]);
    }
  });

  it('herd list-templates reads only the validators of the sections its config has', () => {
    const { code, modules } = modulesLoadedBy(['list-templates']);
    expect(code).toBe(0);
    const catalog = sectionSchemaCatalog();
    const fileOf = (name: string) =>
      `dist/config/schema/validators/${schemaFileName(schemaKey(catalog[name]!))}`;
    // The config has one local cloud, a login, a setup and a cluster on the local cloud.
    const needed = ['login', 'setup', 'cloud_local', 'cluster_local', 'node_local'].map(fileOf);
    const read = [...new Set(modules.filter((m) => m.startsWith('dist/config/schema/validators')))];
    expect(read.length).toBeGreaterThan(0);
    expect(needed).toEqual(expect.arrayContaining(read));
    expect(read).toContain(fileOf('cloud_local'));
  });

  it('herd __complete (every Tab) loads neither yargs nor the config loader', () => {
    const { code, stdout, modules } = modulesLoadedBy(['__complete', 'list-t']);
    expect(code).toBe(0);
    expect(stdout).toBe('list-templates\n');
    expect(modules).toContain('dist/cli/completion/complete.js');
    expect(modules.filter((m) => m.includes('node_modules/yargs') || m.startsWith('dist/config/'))).toEqual(
      [],
    );
  });

  it('loads yargs when the command line is not plainly valid (its errors stay the same)', () => {
    const { code, modules } = modulesLoadedBy(['list', '--jsn']);
    expect(code).toBe(2);
    expect(modules.some((m) => m.includes('node_modules/yargs/'))).toBe(true);
  });
});

describe('help rendered at build time', () => {
  const cache = JSON.parse(readFileSync(join(repoRoot, 'dist', 'cli', 'help.json'), 'utf8')) as HelpCache;

  /** What yargs prints for `argv` at `width`, from the sources. */
  async function yargsPrints(argv: string[], width: number): Promise<string> {
    const lines: string[] = [];
    const log = console.log;
    const locale = process.env['LC_ALL'];
    console.log = (...args: unknown[]) => lines.push(`${args.join(' ')}\n`);
    process.env['LC_ALL'] = 'en_US';
    try {
      await buildParser(argv, width).parseAsync();
    } finally {
      console.log = log;
      if (locale === undefined) delete process.env['LC_ALL'];
      else process.env['LC_ALL'] = locale;
    }
    return lines.join('');
  }

  it.each(
    helpLines(COMMANDS.map((c) => c.name)).flatMap((argv) => [100, 110].map((w) => [argv, w] as const)),
  )('is what yargs prints for %j at width %i', async (argv, width) => {
    expect(cache.texts[width]?.[argv.join(' ')]).toBe(await yargsPrints([...argv], width));
  });

  it('leaves out --version, which herd reads from package.json as yargs does, printing the same', async () => {
    expect(Object.keys(cache.texts[100]!)).not.toContain('--version');
    const r = spawnSync(process.execPath, [herdBin, '-V'], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
    });
    expect(r.stdout).toBe(await yargsPrints(['--version'], 100));
  });

  it('is printed for -h (not on a terminal: width 100), and yargs renders it in a translated locale', () => {
    const english = spawnSync(process.execPath, [herdBin, 'stop', '-h'], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
    });
    expect(english.stdout).toBe(cache.texts[100]!['stop --help']);
    const german = spawnSync(process.execPath, [herdBin, 'stop', '-h'], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'de_DE.UTF-8' },
    });
    expect(german.status).toBe(0);
    expect(german.stdout).toContain('Optionen:');
    expect(german.stdout).toContain('Terminate every node of a cluster and forget it');
  });
});
