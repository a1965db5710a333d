/**
 * The configuration pipeline: read files -> parse -> merge sections -> interpolate -> validate and
 * merge each template -> LoadedConfig. Invalid templates never hide valid ones.
 */
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { buildTemplate, type SectionResolver } from './build-template.js';
import { bundledGroups } from './bundled-groups.js';
import { describeFileError } from './file-errors.js';
import { type IniBlock, readIni } from './ini-reader.js';
import { interpolateSection } from './interpolate.js';
import {
  type ResolveContext,
  type Resolved,
  resolveCloud,
  resolveLogin,
  resolveSetup,
} from './resolve-sections.js';
import { secretFileWarnings } from './secret-files.js';
import { mergeBlocks, type Section } from './sections.js';
import type {
  CloudSection,
  InvalidTemplate,
  LoadedConfig,
  ResolvedSection,
  SetupSectionWithVars,
  Template,
} from './types.js';
import { getValidator } from './validate.js';

/** Inputs of `loadConfig`. */
export interface LoadConfigOptions {
  /** The main config file (the caller decides the default, `~/.herd/config`). */
  configPath: string;
  /** Environment for `$VAR` expansion, credential fallbacks and `~` (HOME). */
  env: Readonly<Record<string, string | undefined>>;
  /** Absolute path of the bundled playbooks (`%(herd_playbooks)s`). */
  playbooksDir: string;
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The main file then every `<config>.d/*.conf`, in byte order (later files override earlier ones). */
async function readSources(configPath: string): Promise<{ file: string; text: string }[]> {
  let main: string;
  try {
    main = await readFile(configPath, 'utf8');
  } catch (error) {
    const missing = errnoCode(error) === 'ENOENT';
    throw new ConfigError(
      [
        {
          file: configPath,
          message: missing
            ? 'configuration file does not exist'
            : `cannot read the configuration file: ${describeFileError(error)}`,
        },
      ],
      {
        cause: error,
        hint: missing
          ? 'Check the path given with -c/--config or HERD_CONFIG (herd creates only the default ~/.herd/config, on first use without either), or create the file.'
          : 'Fix its permissions or pass another file with -c/--config.',
      },
    );
  }
  const dir = `${configPath}.d`;
  let names: string[] = [];
  try {
    names = (await readdir(dir))
      .filter((name) => name.endsWith('.conf'))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT' && errnoCode(error) !== 'ENOTDIR') {
      throw new ConfigError([{ file: dir, message: `cannot list it: ${describeFileError(error)}` }], {
        cause: error,
      });
    }
  }
  const extra = await Promise.all(
    names.map(async (name) => {
      const file = join(dir, name);
      try {
        return { file, text: await readFile(file, 'utf8') };
      } catch (error) {
        throw new ConfigError([{ file, message: `cannot read it: ${describeFileError(error)}` }], {
          cause: error,
        });
      }
    }),
  );
  return [{ file: configPath, text: main }, ...extra];
}

function createResolver(
  sections: ReadonlyMap<string, Section>,
  context: ResolveContext,
  cache: Map<Section, Resolved<unknown>>,
): SectionResolver {
  function once<T>(section: Section, resolve: (s: Section, c: ResolveContext) => Resolved<T>): Resolved<T> {
    let resolved = cache.get(section) as Resolved<T> | undefined;
    if (!resolved) {
      resolved = resolve(section, context);
      cache.set(section, resolved);
    }
    return resolved;
  }
  const all = [...sections.values()];
  return {
    context,
    find: (type, name) => {
      const section = sections.get(`${type}/${name}`);
      return section?.type === type ? section : undefined;
    },
    names: (type) => all.filter((s) => s.type === type).map((s) => s.label),
    cloud: (section) => once(section, resolveCloud),
    login: (section) => once(section, resolveLogin),
    setup: (section) => once(section, resolveSetup),
    nodeSections: (template) => all.filter((s) => s.type === 'node' && s.label === template),
  };
}

/** Reads, validates and merges every template of a configuration. */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const sources = await readSources(options.configPath);
  const blocks: IniBlock[] = [];
  const parseProblems: ConfigProblem[] = [];
  for (const source of sources) {
    const parsed = readIni(source.text, source.file);
    blocks.push(...parsed.blocks);
    parseProblems.push(...parsed.problems);
  }
  const table = mergeBlocks(blocks, parseProblems);
  const warnings: ConfigProblem[] = [...table.warnings];
  const interpolation = {
    // ElastiCluster's names for its playbooks directory: %(elasticluster_playbooks)s, %(ansible_pb_dir)s,
    // and (as it exports them while reading) $elasticluster_playbooks and $ansible_pb_dir.
    builtins: {
      herd_playbooks: options.playbooksDir,
      elasticluster_playbooks: options.playbooksDir,
      ansible_pb_dir: options.playbooksDir,
    },
    env: {
      elasticluster_playbooks: options.playbooksDir,
      ansible_pb_dir: options.playbooksDir,
      ...options.env,
    },
  };
  for (const section of table.sections.values()) warnings.push(...interpolateSection(section, interpolation));
  warnings.push(...(await secretFileWarnings(table.sections.values())));

  const context: ResolveContext = {
    validator: getValidator(),
    env: options.env,
    home: options.env['HOME'] || homedir(),
    playbooksDir: options.playbooksDir,
    bundledGroups: await bundledGroups(options.playbooksDir),
    warnings,
  };
  const resolved = new Map<Section, Resolved<unknown>>();
  const resolver = createResolver(table.sections, context, resolved);
  const templates = new Map<string, Template>();
  const invalid = new Map<string, InvalidTemplate>();
  const errors = [...table.errors];
  for (const section of table.sections.values()) {
    if (section.type === 'cluster') {
      const result = buildTemplate(section, resolver);
      if ('template' in result) templates.set(section.label, result.template);
      else invalid.set(section.label, result.invalid);
    } else if (section.type === 'node' && !table.sections.has(`cluster/${section.label}`)) {
      errors.push({
        file: section.file,
        line: section.line,
        section: section.name,
        message: `overrides kinds of template "${section.label}", but there is no [cluster/${section.label}] section; add it or rename this section`,
      });
    }
  }
  // Sections no template uses: still report their problems, but they block nothing.
  for (const section of table.sections.values()) {
    if (section.type === 'cloud' || section.type === 'login' || section.type === 'setup') {
      if (!resolved.has(section)) errors.push(...resolver[section.type](section).problems);
    }
  }
  const clouds = new Map<string, ResolvedSection<CloudSection>>();
  const setups = new Map<string, ResolvedSection<SetupSectionWithVars>>();
  for (const section of table.sections.values()) {
    if (section.type === 'cloud') clouds.set(section.label, resolver.cloud(section));
    if (section.type === 'setup') setups.set(section.label, resolver.setup(section));
  }
  return {
    files: sources.map((s) => s.file),
    templates,
    invalid,
    errors,
    warnings: dedupe(warnings),
    notes: table.notes,
    clouds,
    setups,
  };
}

/** Sections resolved for several templates add their warnings once; keep the list free of repeats. */
function dedupe(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const id = `${p.file}:${p.line}:${p.section}:${p.key}:${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
