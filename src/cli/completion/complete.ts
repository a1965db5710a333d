/**
 * `herd __complete WORD...`: the candidates for the last word of a command line, one per line, for
 * the bash and zsh scripts of `herd completion`. Template and cloud names come from a quick scan of
 * the config files' section headers, cluster names from the storage directory, node names and kinds
 * from a cluster's state file: no config validation, no yargs, so a Tab stays quick. `:files` and
 * `:dirs` ask the shell to complete paths itself.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPaths } from '../paths.js';
import {
  COMMAND_SPECS,
  type CommandSpec,
  GLOBAL_OPTION_SPECS,
  type OptionSpec,
  type ValueKind,
} from './table.js';

/** Answers for the shell: candidates, or a request to complete file or directory names. */
export type Completion = { files: 'files' | 'dirs' } | { words: string[] };

/** Where names come from. */
export interface CompletionSources {
  templates(): Promise<string[]>;
  clouds(): Promise<string[]>;
  clusters(): Promise<string[]>;
  /** Node names and kinds of a cluster. */
  nodes(cluster: string): Promise<{ names: string[]; kinds: string[] }>;
}

/** Completes the last of `words` (the words after `herd`, the last one possibly empty). */
export async function complete(words: readonly string[], sources: CompletionSources): Promise<Completion> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  if (before.includes('--')) return { files: 'files' };
  let command: CommandSpec | undefined;
  const positionals: string[] = [];
  let expecting: OptionSpec | undefined;
  for (const word of before) {
    if (expecting) {
      expecting = undefined;
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      const option = findOption(word, command);
      // `--name=value` carries its value; a flag takes none.
      if (option?.value && !word.includes('=')) expecting = option;
      continue;
    }
    if (!command) command = COMMAND_SPECS.find((c) => c.name === word);
    else positionals.push(word);
  }
  if (expecting) return values(expecting.value!, current, positionals[0], sources);
  if (current.startsWith('-')) return { words: optionWords(command, current) };
  if (!command)
    return {
      words: filter(
        COMMAND_SPECS.map((c) => c.name),
        current,
      ),
    };
  const index = Math.min(positionals.length, command.positionals.length - 1);
  if (index < 0 || (!command.variadic && positionals.length >= command.positionals.length))
    return { words: [] };
  return values(command.positionals[index]!, current, positionals[0], sources);
}

async function values(
  kind: ValueKind,
  current: string,
  cluster: string | undefined,
  sources: CompletionSources,
): Promise<Completion> {
  switch (kind) {
    case 'file':
      return { files: 'files' };
    case 'dir':
      return { files: 'dirs' };
    case 'template':
      return { words: filter(await sources.templates(), current) };
    case 'cloud':
      return { words: filter(await sources.clouds(), current) };
    case 'cluster':
      return { words: filter(await sources.clusters(), current) };
    case 'shell':
      return { words: filter(['bash', 'zsh'], current) };
    case 'node':
    case 'node-name':
    case 'kind': {
      if (!cluster) return { words: [] };
      const { names, kinds } = await sources.nodes(cluster);
      const offer = kind === 'kind' ? kinds : kind === 'node-name' ? names : [...names, ...kinds];
      return { words: filter(offer, current) };
    }
    case 'text':
      return { words: [] };
  }
}

function findOption(word: string, command: CommandSpec | undefined): OptionSpec | undefined {
  const all = [...(command?.options ?? []), ...GLOBAL_OPTION_SPECS];
  if (word.startsWith('--')) {
    const name = word.slice(2).split('=')[0];
    return all.find((o) => o.long === name);
  }
  // -k, or -vv; a value glued on (-kcompute) needs no next word.
  const short = word[1];
  const option = all.find((o) => o.short === short);
  return option && word.length === 2 ? option : undefined;
}

function optionWords(command: CommandSpec | undefined, current: string): string[] {
  const all = [...(command?.options ?? []), ...GLOBAL_OPTION_SPECS];
  const longs = all.map((o) => `--${o.long}`);
  const shorts = all.flatMap((o) => (o.short ? [`-${o.short}`] : []));
  return filter(current === '-' ? [...shorts, ...longs] : longs, current);
}

function filter(candidates: readonly string[], prefix: string): string[] {
  return [...new Set(candidates.filter((c) => c.startsWith(prefix)))].sort();
}

/**
 * Sources from the files herd itself would read: `-c`/`-s` among the words, else HERD_CONFIG and
 * HERD_STORAGE, else the defaults.
 */
export function fileSources(
  words: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): CompletionSources {
  const flag = (short: string, long: string) => {
    for (let i = 0; i < words.length - 1; i++) {
      const w = words[i]!;
      if (w === `-${short}` || w === `--${long}`) return words[i + 1];
      if (w.startsWith(`--${long}=`)) return w.slice(long.length + 3);
    }
    return undefined;
  };
  const defaults = defaultPaths(env);
  const config = flag('c', 'config') || env['HERD_CONFIG'] || defaults.config;
  const storage = flag('s', 'storage') || env['HERD_STORAGE'] || defaults.storage;
  const sections = async (type: string) => {
    const files = [
      config,
      ...(await readdir(`${config}.d`).catch(() => [] as string[]))
        .filter((f) => f.endsWith('.conf'))
        .map((f) => join(`${config}.d`, f)),
    ];
    const names = new Set<string>();
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const m of text.matchAll(new RegExp(`^\\s*\\[${type}/([^/\\]\\s]+)\\]`, 'gm'))) names.add(m[1]!);
    }
    return [...names];
  };
  return {
    templates: () => sections('cluster'),
    clouds: () => sections('cloud'),
    clusters: async () =>
      (await readdir(storage).catch(() => [] as string[]))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5)),
    nodes: async (cluster) => {
      try {
        const state = JSON.parse(await readFile(join(storage, `${cluster}.json`), 'utf8')) as {
          nodes?: { name?: unknown; kind?: unknown }[];
        };
        const nodes = state.nodes ?? [];
        return {
          names: nodes.flatMap((n) => (typeof n.name === 'string' ? [n.name] : [])),
          kinds: [...new Set(nodes.flatMap((n) => (typeof n.kind === 'string' ? [n.kind] : [])))],
        };
      } catch {
        return { names: [], kinds: [] };
      }
    },
  };
}

/** The text `herd __complete` prints. */
export function formatCompletion(completion: Completion): string {
  if ('files' in completion) return `:${completion.files}\n`;
  return completion.words.length > 0 ? `${completion.words.join('\n')}\n` : '';
}
