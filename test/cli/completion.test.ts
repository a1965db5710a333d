/**
 * Shell completion: the candidates for each position, the command table against the real yargs
 * definitions, and the bash and zsh scripts run in a real bash and zsh against the built herd.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { type CompletionSources, complete, fileSources } from '../../src/cli/completion/complete.js';
import { bashScript, zshScript } from '../../src/cli/completion/scripts.js';
import { COMMAND_SPECS, GLOBAL_OPTION_SPECS } from '../../src/cli/completion/table.js';
import { toCommandModule } from '../../src/cli/yargs-cli.js';
import { herdBin } from '../helpers/cli.js';

const sources: CompletionSources = {
  templates: async () => ['slurm', 'slurm-big', 'gpu'],
  clouds: async () => ['aws', 'local'],
  clusters: async () => ['lab', 'prod'],
  nodes: async (cluster) =>
    cluster === 'lab'
      ? { names: ['frontend001', 'compute001', 'compute002'], kinds: ['frontend', 'compute'] }
      : { names: [], kinds: [] },
};

const words = async (...line: string[]) => {
  const result = await complete(line, sources);
  return 'words' in result ? result.words : `:${result.files}`;
};

describe('complete', () => {
  it.each<[string[], string[] | string]>([
    [[''], COMMAND_SPECS.map((c) => c.name).sort()],
    [['li'], ['list', 'list-nodes', 'list-templates']],
    [
      ['-v', 'st'],
      ['start', 'stop'],
    ],
    [
      ['start', ''],
      ['gpu', 'slurm', 'slurm-big'],
    ],
    [
      ['start', 'sl'],
      ['slurm', 'slurm-big'],
    ],
    [['start', 'slurm', ''], []],
    [
      ['start', '--no'],
      ['--no-setup', '--nodes'],
    ],
    [['start', '--dr'], ['--dry-run']],
    [['start', '-n', ''], []],
    [
      ['stop', ''],
      ['lab', 'prod'],
    ],
    [['-c', '/x/config', 'ssh', 'l'], ['lab']],
    [
      ['ssh', 'lab', '-n', ''],
      ['compute', 'compute001', 'compute002', 'frontend', 'frontend001'],
    ],
    [
      ['exec', 'lab', 'comp'],
      ['compute', 'compute001', 'compute002'],
    ],
    [
      ['exec', 'lab', 'compute001', 'f'],
      ['frontend', 'frontend001'],
    ],
    [
      ['exec', 'lab', '-k', ''],
      ['compute', 'frontend'],
    ],
    [['exec', 'lab', '--', 'ls', ''], ':files'],
    [['put', 'lab', ''], ':files'],
    [
      ['remove-node', 'lab', 'c'],
      ['compute001', 'compute002'],
    ],
    [['remove-node', 'lab', 'compute001', ''], []],
    [
      ['check', ''],
      ['aws', 'local'],
    ],
    [
      ['check', 'aws', ''],
      ['aws', 'local'],
    ],
    [['list-templates', 'g'], ['gpu']],
    [
      ['completion', ''],
      ['bash', 'zsh'],
    ],
    [['-c', ''], ':files'],
    [['--storage', ''], ':dirs'],
    [
      ['list', '-'],
      [
        '--config',
        '--debug',
        '--help',
        '--json',
        '--storage',
        '--update',
        '--verbose',
        '--version',
        '-V',
        '-c',
        '-h',
        '-s',
        '-u',
        '-v',
      ],
    ],
  ])('%j', async (line, expected) => {
    expect(await words(...line)).toEqual(expected);
  });
});

describe('the command table', () => {
  // What yargs itself declares for each command (options and their aliases).
  const commands = COMMANDS.map((c) => toCommandModule(c));
  const declared = (name: string) => {
    const module = commands.find((c) => String(c.command).split(' ')[0] === name)!;
    const instance = yargs([]);
    (module.builder as (y: typeof instance) => unknown)(instance);
    const options = (
      instance as unknown as {
        getOptions(): { key: Record<string, boolean>; alias: Record<string, string[]> };
      }
    ).getOptions();
    const positionals =
      String(module.command)
        .match(/[<[]\w+(\.\.)?[>\]]/g)
        ?.map((p) => p.replace(/[<>[\].]/g, '')) ?? [];
    const longs = Object.keys(options.key).filter(
      (k) => k.length > 1 && !positionals.includes(k) && k !== 'help' && k !== 'version',
    );
    return { longs, alias: options.alias };
  };

  it('has every command yargs has, and nothing else', () => {
    expect(COMMAND_SPECS.map((c) => c.name).sort()).toEqual(
      commands.map((c) => String(c.command).split(' ')[0]).sort(),
    );
  });

  it.each(COMMAND_SPECS.map((c) => [c.name, c] as const))(
    '%s: the same options and short aliases as yargs',
    (name, spec) => {
      const { longs, alias } = declared(name);
      // A negated boolean (`--no-setup`) is offered by completion; yargs declares only the positive one.
      const longsOf = new Set(spec.options.map((o) => o.long));
      const table = [...longsOf].filter((l) => !(l.startsWith('no-') && longsOf.has(l.slice(3))));
      expect(table.sort()).toEqual([...new Set(longs)].filter((l) => !/[A-Z]/.test(l)).sort());
      for (const option of spec.options.filter((o) => o.short))
        expect(alias[option.long], option.long).toContain(option.short);
    },
  );

  it('knows every global option', () => {
    expect(GLOBAL_OPTION_SPECS.map((o) => o.long)).toEqual([
      'config',
      'storage',
      'verbose',
      'debug',
      'help',
      'version',
    ]);
  });
});

describe('the shell scripts, in real shells against the built herd', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-completion-'));
    await mkdir(join(dir, 'storage'));
    await mkdir(join(dir, 'config.d'));
    await writeFile(
      join(dir, 'config'),
      '[cloud/local]\nprovider=local\n[cluster/slurm]\ncloud=local\n[cluster/slurm/compute]\nflavor=x\n',
    );
    await writeFile(join(dir, 'config.d', 'more.conf'), '[cluster/bigslurm]\ncloud=local\n');
    await writeFile(
      join(dir, 'storage', 'lab.json'),
      JSON.stringify({
        nodes: [
          { name: 'frontend001', kind: 'frontend' },
          { name: 'compute001', kind: 'compute' },
        ],
      }),
    );
    env = { HERD_CONFIG: join(dir, 'config'), HERD_STORAGE: join(dir, 'storage') };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const bash = async (...line: string[]) => {
    const script = `source /dev/stdin <<'EOF'\n${bashScript()}EOF\nCOMP_WORDS=(${[herdBin, ...line].map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${line.length}; _herd_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await execa('bash', ['--norc', '-c', script], { env: { ...process.env, ...env }, cwd: dir });
    return r.stdout.split('\n').filter(Boolean);
  };

  it('bash: commands, templates (also from config.d), clusters, nodes and files', async () => {
    expect(await bash('li')).toEqual(['list', 'list-nodes', 'list-templates']);
    expect(await bash('start', '')).toEqual(['bigslurm', 'slurm']);
    expect(await bash('exec', '')).toEqual(['lab']);
    expect(await bash('exec', 'lab', 'f')).toEqual(['frontend', 'frontend001']);
    expect(await bash('-c', 'conf')).toEqual(['config', 'config.d']);
  });

  it('zsh: the same candidates through compadd', async () => {
    const line = ['start', ''];
    const script = [
      'compdef() { :; }',
      'compadd() { shift; print -l -- "$@"; }',
      '_files() { print ":files-requested"; }',
      `source /dev/stdin <<'EOF'\n${zshScript()}EOF`,
      `words=(${[herdBin, ...line].map((w) => `'${w}'`).join(' ')}); CURRENT=${line.length + 1}`,
      '_herd',
    ].join('\n');
    // A completion function returns 1 when it added nothing, as zsh's own do.
    const run = (text: string) =>
      execa('zsh', ['-f', '-c', text], { env: { ...process.env, ...env }, cwd: dir, reject: false });
    expect((await run(script)).stdout.split('\n')).toEqual(['bigslurm', 'slurm']);
    const files = script.replace(
      `words=('${herdBin}' 'start' ''); CURRENT=3`,
      `words=('${herdBin}' 'put' 'lab' ''); CURRENT=4`,
    );
    expect((await run(files)).stdout).toBe(':files-requested');
    const none = script.replace(
      `words=('${herdBin}' 'start' ''); CURRENT=3`,
      `words=('${herdBin}' 'start' 'x' ''); CURRENT=4`,
    );
    expect((await run(none)).stdout).toBe('');
  });

  it('reads -c and -s from the words being completed', async () => {
    const other = fileSources(['-s', '/nonexistent', '-c', join(dir, 'config')], {});
    expect(await other.clusters()).toEqual([]);
    expect((await other.templates()).sort()).toEqual(['bigslurm', 'slurm']);
    expect(await other.clouds()).toEqual(['local']);
  });
});
