/** The CLI surface through bin/herd: help, version, suggestions, usage errors and their exit codes. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { longOptionsOf } from '../../src/cli/declare.js';
import { StateRepository } from '../../src/state/index.js';
import { hasStackTrace, herdBin, makeTempDir, repoRoot, runHerd } from '../helpers/cli.js';
import { sampleState } from '../state/fixtures/sample.js';

let home: { dir: string; cleanup: () => Promise<void> };
let env: Record<string, string | undefined>;
let defaultConfig: string;
beforeAll(async () => {
  home = await makeTempDir('herd-cli-');
  // No HERD_CONFIG: herd uses (and creates) the default ~/.herd/config under this HOME.
  env = { HOME: home.dir, HERD_STORAGE: join(home.dir, 'storage'), HERD_CONFIG: undefined };
  defaultConfig = join(home.dir, '.herd', 'config');
});
afterAll(() => home.cleanup());

describe('herd CLI', () => {
  it('prints its version from package.json', async () => {
    const r = await runHerd(['--version'], { env });
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each(COMMANDS.map((c) => [c.name, longOptionsOf(c.options)] as const))(
    'has --help for %s listing exactly the known options',
    async (command, options) => {
      const r = await runHerd([command, '--help'], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`herd ${command}`);
      const options_ = r.stdout.split('\nExamples:')[0]!;
      const shown = new Set([...options_.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!));
      for (const option of options) expect(shown, option).toContain(option);
      const global = ['config', 'storage', 'verbose', 'debug', 'help', 'version'];
      for (const option of shown) expect([...options, ...global, 'no-setup'], option).toContain(option);
    },
  );

  it.each([
    [['strat'], /Did you mean start\?/],
    [['start', 'slurm', '--nodse', '3:compute'], /did you mean --nodes\?/],
    [['list', '--jsn'], /did you mean --json\?/],
    [['start', 'slurm', '--nodes', '3'], /"3" has no kind/],
    [['resize', 'x'], /needs -a\/--add or -r\/--remove/],
    [['resize', 'x', '-a', 'compute'], /"compute" has no count/],
    [['ssh'], /Not enough non-option arguments/],
    [[], /Name a command/],
  ])('herd %j is a usage error (exit 2, code UsageError) with a clear message', async (args, message) => {
    const r = await runHerd(args, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^herd: error \[UsageError\]: /m);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('creates the default config on first use and says where', async () => {
    const r = await runHerd(['list-templates'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Created the default configuration ${defaultConfig}`);
    expect((await stat(defaultConfig)).mode & 0o777).toBe(0o600);
    expect(r.stdout).toMatch(/name: +slurm/);
    const again = await runHerd(['list-templates'], { env });
    expect(again.stderr).not.toContain('Created the default configuration');
  });

  it.each([
    ['-c', (path: string) => ['-c', path]],
    ['HERD_CONFIG', (_path: string) => []],
  ])('never creates a config file named with %s: a mistyped path is an error (exit 2)', async (how, flag) => {
    const typo = join(home.dir, 'typo', 'confg');
    const r = await runHerd(['list-templates', ...flag(typo)], {
      env: { ...env, ...(how === 'HERD_CONFIG' ? { HERD_CONFIG: typo } : {}) },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `herd: error [ConfigInvalid]: Invalid configuration: ${typo}: configuration file does not exist`,
    );
    expect(r.stderr).not.toContain('Created the default configuration');
    expect(existsSync(typo)).toBe(false);
    expect(existsSync(join(home.dir, 'typo'))).toBe(false);
  });

  it.each([
    ['-c below a file', (file: string) => ({ args: ['-c', join(file, 'config')], env: {} })],
    [
      'the default path below a file',
      (file: string) => ({ args: [], env: { HOME: file, HERD_CONFIG: undefined } }),
    ],
  ])('reports %s (ENOTDIR) as a configuration error, exit 2', async (_what, how) => {
    const file = join(home.dir, 'afile');
    await writeFile(file, 'not a directory\n');
    const { args, env: extra } = how(file);
    const r = await runHerd(['list-templates', ...args], { env: { ...env, ...extra } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^herd: error \[ConfigInvalid\]: .*afile.*: .*is a file, not a directory/m);
    expect(r.stderr).not.toContain('internal error');
  });

  it('names a missing cluster with a hint, exit 1, and --debug adds the stack', async () => {
    const r = await runHerd(['list-nodes', 'nosuch'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('herd: error [ClusterNotFound]: No cluster named "nosuch"');
    expect(r.stderr).toContain('herd list');
    expect(hasStackTrace(r.stderr)).toBe(false);
    const debug = await runHerd(['list-nodes', 'nosuch', '--debug'], { env });
    expect(hasStackTrace(debug.stderr)).toBe(true);
  });

  it('resize -a 0:KIND says there is nothing to do and exits 0 without touching anything', async () => {
    const storage = join(home.dir, 'resize-storage');
    const repo = await StateRepository.open(storage);
    await repo.save(sampleState(storage, 'small'));
    const before = await readFile(join(storage, 'small.json'), 'utf8');
    const r = await runHerd(['resize', 'small', '-a', '0:compute', '-s', storage], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'Nothing to do: every count is 0; cluster "small" is unchanged (no setup run).',
    );
    expect(await readFile(join(storage, 'small.json'), 'utf8')).toBe(before);
    const json = await runHerd(['resize', 'small', '-a', '0:compute', '-s', storage, '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: 'small',
      changed: false,
      setupRan: false,
      removed: [],
    });
  });

  it.each([
    ['a usage error', ['start', 'slurm', '--nodes', '3', '--json'], 2, 'UsageError', /"3" has no kind/],
    ['a missing cluster', ['list-nodes', 'nosuch', '--json'], 1, 'ClusterNotFound', /No cluster named/],
    ['a missing template', ['start', 'nosuch', '--json'], 2, 'ConfigInvalid', /no template "nosuch"/],
  ])('with --json, %s is also a JSON error document on stdout', async (_what, args, exit, code, message) => {
    const r = await runHerd(args, { env });
    expect(r.code).toBe(exit);
    const parsed = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string | null } };
    expect(Object.keys(parsed)).toEqual(['error']);
    expect(parsed.error.code).toBe(code);
    expect(parsed.error.message).toMatch(message);
    expect(typeof parsed.error.hint).toBe('string');
    expect(r.stderr).toContain(`herd: error [${code}]: `);
  });

  it('leaves --json after -- to the passthrough arguments', async () => {
    const r = await runHerd(['ssh', 'nosuch', '--', '--json'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^herd: error \[ClusterNotFound\]: /m);
  });
});

// Needs root (to switch to nobody) and a checkout that nobody can read.
const nobodyCanRunHerd =
  process.getuid?.() === 0 &&
  spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', herdBin]).status ===
    0;

describe.skipIf(!nobodyCanRunHerd)('herd run by a user who is not root', () => {
  it('reports a config file below a directory it may not enter (EACCES) as a configuration error, exit 2', async () => {
    const user = await makeTempDir('herd-nobody-');
    try {
      await chmod(user.dir, 0o777);
      const locked = join(user.dir, 'locked');
      await mkdir(locked, { mode: 0o700 });
      await writeFile(join(locked, 'config'), '[cloud/x]\nprovider=local\n');
      for (const args of [['-c', join(locked, 'config')], []]) {
        const r = spawnSync(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            herdBin,
            'list-templates',
            ...args,
          ],
          { env: { PATH: process.env['PATH'], HOME: locked }, encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toMatch(
          /^herd: error \[ConfigInvalid\]: .*locked\/(\.herd\/)?config: .*permission denied/m,
        );
        expect(r.stderr).not.toContain('internal error');
      }
    } finally {
      await user.cleanup();
    }
  });

  it('refuses to start a local cluster, says root is needed, and leaves no empty cluster behind', async () => {
    const user = await makeTempDir('herd-nobody-');
    try {
      await chmod(user.dir, 0o777);
      const asNobody = (args: string[]) =>
        spawnSync(
          'setpriv',
          ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, herdBin, ...args],
          {
            env: { PATH: process.env['PATH'], HOME: user.dir },
            encoding: 'utf8',
          },
        );
      const start = asNobody(['start', 'slurm', '--no-setup']);
      expect(start.status, start.stderr).toBe(1);
      expect(start.stderr).toContain('needs root');
      expect(start.stderr).toMatch(/hint: .*root/);
      const list = asNobody(['list', '--json']);
      expect(list.status, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout).clusters).toEqual([]);
    } finally {
      await user.cleanup();
    }
  });
});
