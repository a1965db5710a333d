/**
 * The pipeline around the schema: INI syntax, interpolation, environment variables, config.d
 * ordering and repeated sections, the default config, template lookup and list-templates rows.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  ensureDefaultConfig,
  getTemplate,
  globToRegExp,
  loadConfig,
  summarizeTemplates,
} from '../../src/config/index.js';
import { readIni } from '../../src/config/ini-reader.js';
import { ConfigError } from '../../src/errors.js';
import { allProblems, ini, lineOf, loadText, PLAYBOOKS, tempDir } from './helpers.js';

const BASE = ini`
  [cloud/local]
  provider=local
  [login/local]
  image_user=root
  [setup/slurm]
  frontend_groups=slurm_master
  compute_groups=slurm_worker
  [cluster/slurm]
  cloud=local
  login=local
  setup=slurm
  frontend_nodes=1
  compute_nodes=2
`;

describe('INI syntax (ConfigParser rules)', () => {
  test.each([
    ['key=value', 'a', 'value'],
    ['key = spaced value ', 'a', 'spaced value'],
    ['key: colon value', 'a', 'colon value'],
    ['key=a=b:c', 'a', 'a=b:c'],
    ['key:x=y', 'a', 'x=y'],
    ['key=#!/bin/sh', 'a', '#!/bin/sh'],
    ['key=v ; inline comment', 'a', 'v'],
    ['key=a;b', 'a', 'a;b'],
    ['key=first\n  second\n\n  third', 'a', 'first\nsecond\nthird'],
    ['Key=case kept', 'a', 'case kept'],
  ])('%j', (line, _section, value) => {
    const parsed = readIni(`# comment\n; comment\n[a]\n${line}\n`, 'f');
    expect(parsed.problems).toEqual([]);
    const entry = parsed.blocks[0]!.entries[0]!;
    expect(entry).toMatchObject({ value, file: 'f', line: 4 });
    expect(entry.key).toBe(line.startsWith('Key') ? 'Key' : 'key');
  });

  test('section names with dots and plus signs stay whole (the ini package would nest them)', () => {
    expect(readIni('[cluster/v1.2+x]\nk=v\n', 'f').blocks.map((b) => b.name)).toEqual(['cluster/v1.2+x']);
  });
});

describe('interpolation', () => {
  test('%(name)s from the section, %% and the built-in playbook directories', async () => {
    const text = `${BASE}global_var_base=/data\nglobal_var_scratch=%(global_var_base)s/scratch\nglobal_var_pct=100%%\nglobal_var_pb=%(elasticluster_playbooks)s|%(herd_playbooks)s\n`;
    const t = getTemplate((await loadText(text)).config, 'slurm');
    expect(t.setup.globalVars).toEqual({
      base: '/data',
      scratch: '/data/scratch',
      pct: '100%',
      pb: `${PLAYBOOKS}|${PLAYBOOKS}`,
    });
  });

  test('%(name)s does not read other sections', async () => {
    const text = `${BASE}global_var_x=%(image_user)s\n`;
    const { config } = await loadText(text);
    expect(allProblems(config)).toEqual([
      expect.objectContaining({
        line: lineOf(text, 'global_var_x'),
        message: expect.stringMatching(/interpolation reads only the same section/),
      }),
    ]);
  });

  test('$VAR and braced VAR from the environment after %(..)s; unset stays literal with a warning', async () => {
    const text = `${BASE}global_var_home=$HOME/x\nglobal_var_user=\${LOGNAME}-%(global_var_home)s\nglobal_var_unset=$HERD_TEST_UNSET/y\n`;
    const { config, main } = await loadText(text, { env: { LOGNAME: 'alice', HERD_TEST_UNSET: undefined } });
    expect(getTemplate(config, 'slurm').setup.globalVars).toEqual({
      home: '/home/tester/x',
      user: 'alice-/home/tester/x',
      unset: '$HERD_TEST_UNSET/y',
    });
    expect(config.warnings).toEqual([
      {
        file: main,
        line: lineOf(text, 'global_var_unset'),
        section: 'cluster/slurm',
        key: 'global_var_unset',
        message:
          'environment variable HERD_TEST_UNSET is not set, so "$HERD_TEST_UNSET" stays literal; export HERD_TEST_UNSET or change the value',
      },
    ]);
  });

  test('a value from the environment is validated like a written one', async () => {
    const { config } = await loadText(`${BASE}compute_nodes=$N\n`, { env: { N: '7' } });
    expect(getTemplate(config, 'slurm').kinds[1]!.count).toBe(7);
  });
});

describe('config.d and repeated sections', () => {
  test('drop-ins apply in sorted order, later values win, notes name both origins', async () => {
    const dropIns = {
      '20-more.conf': '[cluster/slurm]\ncompute_nodes=5\n',
      '10-first.conf': '[cluster/slurm]\ncompute_nodes=3\nssh_to=frontend\n',
      'ignored.txt': '[cluster/slurm]\ncompute_nodes=99\n',
    };
    const { config, main } = await loadText(BASE, { dropIns });
    expect(config.files).toEqual([main, `${main}.d/10-first.conf`, `${main}.d/20-more.conf`]);
    const t = getTemplate(config, 'slurm');
    expect(t.kinds[1]!.count).toBe(5);
    expect(t.cluster.sshTo).toBe('frontend');
    expect(config.notes).toEqual([
      {
        file: `${main}.d/10-first.conf`,
        line: 2,
        section: 'cluster/slurm',
        key: 'compute_nodes',
        message: `overrides the value set at ${main}:${lineOf(BASE, 'compute_nodes')} (the later value wins)`,
      },
      {
        file: `${main}.d/20-more.conf`,
        line: 2,
        section: 'cluster/slurm',
        key: 'compute_nodes',
        message: `overrides the value set at ${main}.d/10-first.conf:2 (the later value wins)`,
      },
    ]);
  });

  test('a section repeated in one file merges its keys', async () => {
    const text = `${BASE}[setup/slurm]\nglobal_var_a=1\n[cluster/slurm]\ncompute_nodes=4\n`;
    const { config } = await loadText(text);
    const t = getTemplate(config, 'slurm');
    expect(t.kinds.map((k) => [k.name, k.count, k.groups])).toEqual([
      ['frontend', 1, ['slurm_master']],
      ['compute', 4, ['slurm_worker']],
    ]);
    expect(t.setup.globalVars).toEqual({ a: '1' });
    expect(config.notes).toHaveLength(1);
  });
});

describe('templates', () => {
  const TWO = `${BASE}[cluster/broken]\ncloud=local\nlogin=local\nsetup=slurm\ncompute_nodes=-1\nfrontend_nodes=1\n[cluster/slurm-big]\ncloud=local\nlogin=local\nsetup=slurm\nfrontend_nodes=1\ncompute_nodes=8\n`;

  test('an invalid template never blocks a valid one', async () => {
    const { config } = await loadText(TWO);
    expect([...config.templates.keys()]).toEqual(['slurm', 'slurm-big']);
    expect([...config.invalid.keys()]).toEqual(['broken']);
    expect(config.errors).toEqual([]);
  });

  test('getTemplate: unknown name -> ConfigError with suggestion and the list of templates', async () => {
    const { config } = await loadText(TWO);
    let error: unknown;
    try {
      getTemplate(config, 'slurn');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as ConfigError).message).toMatch(
      /no template "slurn" \(did you mean "slurm"\?\); templates: broken, slurm, slurm-big/,
    );
  });

  test('summarizeTemplates: rows with counts, validity and problems; shell globs', async () => {
    const { config } = await loadText(TWO);
    expect(summarizeTemplates(config, [])).toEqual([
      expect.objectContaining({
        name: 'broken',
        cloud: 'local',
        provider: 'local',
        counts: { compute: -1, frontend: 1 },
        valid: false,
      }),
      {
        name: 'slurm',
        cloud: 'local',
        provider: 'local',
        counts: { frontend: 1, compute: 2 },
        valid: true,
        problems: [],
      },
      {
        name: 'slurm-big',
        cloud: 'local',
        provider: 'local',
        counts: { frontend: 1, compute: 8 },
        valid: true,
        problems: [],
      },
    ]);
    expect(summarizeTemplates(config, ['broken'])[0]!.problems).toEqual([
      expect.objectContaining({ key: 'compute_nodes', message: expect.stringMatching(/too small/) }),
    ]);
    expect(summarizeTemplates(config, ['slurm*']).map((r) => r.name)).toEqual(['slurm', 'slurm-big']);
    expect(summarizeTemplates(config, ['b?oken', 'slurm']).map((r) => r.name)).toEqual(['broken', 'slurm']);
    expect(summarizeTemplates(config, ['nothing*'])).toEqual([]);
  });

  test.each([
    ['*', 'anything', true],
    ['slurm*', 'slurm-big', true],
    ['slurm*', 'myslurm', false],
    ['s?urm', 'slurm', true],
    ['[sg]lurm', 'glurm', true],
    ['[!s]lurm', 'slurm', false],
    ['a.b', 'axb', false],
    ['a+b', 'a+b', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
  ])('glob %j matches %j: %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});

describe('config files', () => {
  test('a missing config file is a ConfigError with a hint', async () => {
    const dir = await tempDir();
    const configPath = join(dir, 'nope');
    await expect(loadConfig({ configPath, env: {}, playbooksDir: PLAYBOOKS })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(`${configPath}: configuration file does not exist`),
      hint: expect.stringMatching(/-c\/--config/),
    });
  });

  test('ensureDefaultConfig copies config-templates/config once, 0600 in a 0700 directory', async () => {
    const dir = await tempDir();
    const configPath = join(dir, 'home', '.herd', 'config');
    const template = join(import.meta.dirname, '../../config-templates/config');
    expect(await ensureDefaultConfig(configPath, template)).toBe(true);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'home', '.herd'))).mode & 0o777).toBe(0o700);
    expect(await readFile(configPath, 'utf8')).toBe(await readFile(template, 'utf8'));
    await writeFile(configPath, '# mine\n');
    expect(await ensureDefaultConfig(configPath, template)).toBe(false);
    expect(await readFile(configPath, 'utf8')).toBe('# mine\n');
  });

  test('the default config loads clean: [cluster/slurm] on the local provider', async () => {
    const dir = await tempDir();
    const configPath = join(dir, 'config');
    await ensureDefaultConfig(configPath, join(import.meta.dirname, '../../config-templates/config'));
    const config = await loadConfig({ configPath, env: { HOME: dir }, playbooksDir: PLAYBOOKS });
    expect(allProblems(config)).toEqual([]);
    expect(config.warnings).toEqual([]);
    const t = getTemplate(config, 'slurm');
    expect(t.cloud).toEqual({
      name: 'local',
      provider: 'local',
      settings: { subnet: '10.77.0.0/24', bridge: 'herdbr0', nat: true },
    });
    expect(t.login).toMatchObject({ imageUser: 'root', imageSudo: false });
    expect(t.cluster.sshTo).toBe('frontend');
    expect(t.kinds.map((k) => [k.name, k.count, k.groups, k.settings.image_id])).toEqual([
      ['frontend', 1, ['slurm_master'], 'debian-12-hpc'],
      ['compute', 2, ['slurm_worker'], 'debian-12-hpc'],
    ]);
    expect([...config.templates.keys()]).toEqual(['slurm']);
  });

  test('a 20-template config loads every template, repeatedly, with the same result', async () => {
    // Speed is measured by `npm run bench`, never asserted here.
    const dir = await tempDir();
    const configPath = join(dir, 'config');
    let text = BASE;
    for (let i = 0; i < 20; i++) {
      text += `[cluster/t${i}x]\ncloud=local\nlogin=local\nsetup=slurm\nfrontend_nodes=1\ncompute_nodes=${i}\nssh_to=frontend\n[cluster/t${i}x/compute]\nimage_id=debian-12-hpc\n`;
    }
    await mkdir(dir, { recursive: true });
    await writeFile(configPath, text);
    const load = () => loadConfig({ configPath, env: {}, playbooksDir: PLAYBOOKS });
    const first = await load();
    expect(first.templates.size).toBe(21);
    expect(first.templates.get('t7x')?.kinds.find((k) => k.name === 'compute')?.count).toBe(7);
    expect(first.templates.get('t7x')?.kinds.find((k) => k.name === 'compute')?.settings.image_id).toBe(
      'debian-12-hpc',
    );
    const second = await load();
    expect([...second.templates.keys()]).toEqual([...first.templates.keys()]);
  });
});
