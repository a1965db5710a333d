/**
 * Turns `[cloud/N]`, `[login/N]` and `[setup/N]` sections into typed sections: applies the old
 * ElastiCluster spellings (with warnings), validates against the schema, resolves paths.
 * Each section is resolved once per load, however many templates reference it.
 */
import { join } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { checkAnsibleArgs, checkAnsibleVariable } from './ansible-checks.js';
import type { BundledGroups } from './bundled-groups.js';
import type { IniEntry } from './ini-reader.js';
import { resolveConfigPath } from './paths.js';
import {
  CLOUD_SCHEMAS,
  IGNORED_KEYS,
  LOGIN_SCHEMA,
  NODE_KEYS,
  OLD_MIN_NODES,
  PROVIDER_ALIASES,
  PROVIDERS,
  RENAMED_GROUPS,
  RENAMED_KEYS,
  SETUP_SCHEMA,
  SUPPORTED_PROVIDERS,
} from './schema/index.js';
import type { Section } from './sections.js';
import { splitShellWords } from './shell-words.js';
import type { CloudSection, ConfigValue, LoginSection, ProviderName, SetupSection } from './types.js';
import { keySchemaOf, type SchemaValidator } from './validate.js';

/** What resolving needs from the loader. */
export interface ResolveContext {
  validator: SchemaValidator;
  env: Readonly<Record<string, string | undefined>>;
  /** Home directory for `~`. */
  home: string;
  /** Absolute path of the bundled playbooks. */
  playbooksDir: string;
  /** The groups the bundled playbooks provide (undefined: not known, nothing is checked). */
  bundledGroups: BundledGroups | undefined;
  /** Deprecation warnings are appended here. */
  warnings: ConfigProblem[];
}

/** A resolved section: the typed value when valid, and every problem found. */
export interface Resolved<T> {
  value: T | undefined;
  problems: ConfigProblem[];
}

/** A setup section plus what the cluster merge needs: groups and variables per kind. */
export interface ResolvedSetup extends SetupSection {
  /** `<kind>_groups`, renamed, with the line that set them. */
  groups: ReadonlyMap<string, { groups: string[]; entry: IniEntry }>;
  /** `<kind>_var_<name>` by kind. */
  kindVars: ReadonlyMap<string, Record<string, string>>;
}

function warn(context: ResolveContext, section: Section, entry: IniEntry, message: string): void {
  context.warnings.push({
    file: entry.file,
    line: entry.line,
    section: section.name,
    key: entry.key,
    message,
  });
}

/** The section's entries under their current names (old spellings renamed, no-op keys dropped). */
export function canonicalEntries(section: Section, context: ResolveContext): Map<string, IniEntry> {
  const type = section.type === 'node' ? undefined : section.type;
  const out = new Map<string, IniEntry>();
  for (const [key, entry] of section.entries) {
    if (type === 'cluster' && Object.hasOwn(IGNORED_KEYS, key)) {
      warn(context, section, entry, `is ignored: ${IGNORED_KEYS[key]}`);
      continue;
    }
    const renamed =
      (type && Object.hasOwn(RENAMED_KEYS[type], key) ? RENAMED_KEYS[type][key] : undefined) ??
      (type === 'cluster' && OLD_MIN_NODES.test(key)
        ? key.replace(OLD_MIN_NODES, '$1_nodes_min')
        : undefined);
    if (renamed === undefined) {
      out.set(key, entry);
    } else if (section.entries.has(renamed)) {
      warn(
        context,
        section,
        entry,
        `is the old name of "${renamed}", which is also set; remove ${key} (it is ignored)`,
      );
    } else {
      warn(context, section, entry, `is deprecated; rename it to "${renamed}"`);
      out.set(renamed, { ...entry, key: renamed });
    }
  }
  return out;
}

/** Which other providers accept a key, for "only valid for ..." messages. */
export function explainOtherProviders(
  key: string,
  provider: ProviderName,
  table: Readonly<Record<ProviderName, { readonly [key: string]: unknown }>>,
): string | undefined {
  const others = PROVIDERS.filter((p) => p !== provider && Object.hasOwn(table[p], key));
  if (others.length === 0) return undefined;
  return `is not supported by provider ${provider} (only by ${others.join(', ')}); remove it`;
}

/** The provider a cloud section names, or a problem. */
export function providerOf(section: Section): ProviderName | ConfigProblem {
  const entry = section.entries.get('provider');
  if (!entry) {
    return {
      file: section.file,
      line: section.line,
      section: section.name,
      key: 'provider',
      message: `required key is missing; add provider=NAME, where NAME is one of: ${SUPPORTED_PROVIDERS}`,
    };
  }
  const name = PROVIDER_ALIASES[entry.value] ?? entry.value;
  if ((PROVIDERS as readonly string[]).includes(name)) return name as ProviderName;
  const known = [...PROVIDERS, ...Object.keys(PROVIDER_ALIASES)];
  return {
    file: entry.file,
    line: entry.line,
    section: section.name,
    key: 'provider',
    message: `provider "${entry.value}" is not supported${didYouMean(entry.value, known)}; use one of: ${SUPPORTED_PROVIDERS}`,
  };
}

/** Validates a `[cloud/N]` section. */
export function resolveCloud(section: Section, context: ResolveContext): Resolved<CloudSection> {
  const entries = canonicalEntries(section, context);
  const provider = providerOf({ ...section, entries });
  if (typeof provider !== 'string') return { value: undefined, problems: [...section.problems, provider] };
  const { values, problems, warnings } = context.validator.validate(
    { ...section, entries },
    CLOUD_SCHEMAS[provider],
    context.env,
    { explain: (key) => explainOtherProviders(key, provider, cloudKeysByProvider()) },
  );
  context.warnings.push(...warnings);
  const all = [...section.problems, ...problems];
  const { provider: _written, ...settings } = values;
  return { value: all.length ? undefined : { name: section.label, provider, settings }, problems: all };
}

/** The keys of each provider's cloud section, for "only valid for ..." messages. */
export function cloudKeysByProvider(): Record<ProviderName, Readonly<Record<string, unknown>>> {
  return Object.fromEntries(PROVIDERS.map((p) => [p, CLOUD_SCHEMAS[p].properties])) as Record<
    ProviderName,
    Readonly<Record<string, unknown>>
  >;
}

/** Validates a `[login/N]` section; key paths become absolute. */
export function resolveLogin(section: Section, context: ResolveContext): Resolved<LoginSection> {
  const entries = canonicalEntries(section, context);
  const { values, problems, warnings } = context.validator.validate(
    { ...section, entries },
    LOGIN_SCHEMA,
    context.env,
    {
      explain: (key) =>
        Object.hasOwn(NODE_KEYS.ec2_boto, key) || Object.hasOwn(NODE_KEYS.google, key)
          ? `is a node setting; move it to the [cluster/NAME] section`
          : undefined,
    },
  );
  context.warnings.push(...warnings);
  const all = [...section.problems, ...problems];
  if (all.length) return { value: undefined, problems: all };
  const path = (key: string) => {
    const entry = entries.get(key);
    return entry ? resolveConfigPath(entry.value, entry.file, context.home) : undefined;
  };
  const {
    image_user,
    image_sudo,
    image_user_sudo,
    user_key_name,
    user_key_private,
    user_key_public,
    ...settings
  } = values;
  return {
    value: {
      name: section.label,
      imageUser: String(image_user),
      imageSudo: image_sudo === true,
      imageUserSudo: String(image_user_sudo),
      userKeyName: user_key_name === undefined ? undefined : String(user_key_name),
      userKeyPrivate: path('user_key_private'),
      userKeyPublic: path('user_key_public'),
      settings,
    },
    problems: [],
  };
}

const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Validates a `[setup/N]` section and sorts its keys into groups, variables and ansible settings. */
export function resolveSetup(section: Section, context: ResolveContext): Resolved<ResolvedSetup> {
  const entries = canonicalEntries(section, context);
  // ElastiCluster hands every key of a setup section to its setup provider, which ignores what it
  // does not know: an unknown key is accepted, with a warning.
  const { problems, warnings } = context.validator.validate(
    { ...section, entries },
    SETUP_SCHEMA,
    context.env,
    {
      mode: 'warn',
      explain: (key) =>
        key.endsWith('_nodes')
          ? `sets a node count, which belongs in the [cluster/NAME] section; move it there`
          : undefined,
    },
  );
  context.warnings.push(...warnings);
  const findings: SetupFindings = { context, section, problems: [...section.problems, ...problems] };

  const playbook = entries.get('playbook_path');
  const playbookPath = playbook
    ? resolveConfigPath(playbook.value, playbook.file, context.home)
    : join(context.playbooksDir, 'site.yml');
  const bundled = usesBundledPlaybooks(playbookPath, context.playbooksDir)
    ? context.bundledGroups
    : undefined;
  const sorted = sortSetupKeys(entries, findings, bundled);

  if (findings.problems.length) return { value: undefined, problems: findings.problems };
  return {
    value: {
      name: section.label,
      provider: 'ansible',
      playbookPath,
      ansibleCommand: entries.get('ansible_command')?.value,
      ...sorted,
    },
    problems: [],
  };
}

/** Where what a setup section's keys are found to be wrong with goes: problems here, warnings on the context. */
interface SetupFindings {
  context: ResolveContext;
  section: Section;
  problems: ConfigProblem[];
}

function problemAt(f: SetupFindings, entry: IniEntry, message: string): void {
  f.problems.push({ file: entry.file, line: entry.line, section: f.section.name, key: entry.key, message });
}

/** A setup section's keys, sorted by what they set. */
interface SetupKeys {
  ansibleExtraArgs: string[];
  ansibleSettings: Record<string, ConfigValue>;
  globalVars: Record<string, string>;
  groups: Map<string, { groups: string[]; entry: IniEntry }>;
  kindVars: Map<string, Record<string, string>>;
}

/** Sorts the schema's keys of a setup section into groups, variables and ansible settings, checking each. */
function sortSetupKeys(
  entries: ReadonlyMap<string, IniEntry>,
  f: SetupFindings,
  bundled: BundledGroups | undefined,
): SetupKeys {
  const sorted: SetupKeys = {
    ansibleExtraArgs: [],
    ansibleSettings: {},
    globalVars: {},
    groups: new Map(),
    kindVars: new Map(),
  };
  for (const [key, entry] of entries) {
    if (!keySchemaOf(SETUP_SCHEMA, key)) continue;
    if (key === 'ansible_extra_args') {
      sorted.ansibleExtraArgs = readExtraArgs(f, entry) ?? sorted.ansibleExtraArgs;
    } else if (key.startsWith('global_var_')) {
      sorted.globalVars[key.slice('global_var_'.length)] = entry.value;
      checkVariable(f, entry, key.slice('global_var_'.length));
    } else if (key === 'ansible_command') {
      checkAnsibleCommand(f, entry);
    } else if (key.startsWith('ansible_')) {
      sorted.ansibleSettings[key] = entry.value;
      checkVariable(f, entry, key);
    } else if (key.includes('_var_')) {
      const at = key.indexOf('_var_');
      const kind = key.slice(0, at);
      const vars = sorted.kindVars.get(kind) ?? {};
      vars[key.slice(at + '_var_'.length)] = entry.value;
      sorted.kindVars.set(kind, vars);
      checkVariable(f, entry, key.slice(at + '_var_'.length));
    } else if (key.endsWith('_groups')) {
      sorted.groups.set(key.slice(0, -'_groups'.length), { groups: parseGroups(f, entry, bundled), entry });
    }
  }
  return sorted;
}

function checkArgs(f: SetupFindings, entry: IniEntry, words: readonly string[]): void {
  const checked = checkAnsibleArgs(words);
  for (const message of checked.warnings) warn(f.context, f.section, entry, message);
  for (const message of checked.errors) problemAt(f, entry, message);
}

function checkVariable(f: SetupFindings, entry: IniEntry, name: string): void {
  const checked = checkAnsibleVariable(name, entry.value);
  if (checked.warning) warn(f.context, f.section, entry, checked.warning);
  if (checked.error) problemAt(f, entry, checked.error);
}

/** The words of ansible_extra_args, checked; undefined when they cannot be split. */
function readExtraArgs(f: SetupFindings, entry: IniEntry): string[] | undefined {
  const words = splitShellWords(entry.value);
  if (typeof words === 'string') {
    problemAt(f, entry, words);
    return undefined;
  }
  checkArgs(f, entry, words);
  return words;
}

/** Checked here, so that a bad ansible_command is reported with the file and line at load time. */
function checkAnsibleCommand(f: SetupFindings, entry: IniEntry): void {
  const words = splitShellWords(entry.value);
  if (typeof words === 'string') problemAt(f, entry, words);
  else if (!words[0]) problemAt(f, entry, 'names no program; write e.g. ansible_command=ansible-playbook');
  else checkArgs(f, entry, words.slice(1));
}

/** The groups of a `<kind>_groups` key: valid names, old and bundled aliases renamed, each once. */
function parseGroups(f: SetupFindings, entry: IniEntry, bundled: BundledGroups | undefined): string[] {
  const names: string[] = [];
  for (const written of entry.value.split(',').map((g) => g.trim())) {
    if (written === '') continue;
    if (!GROUP_NAME.test(written)) {
      problemAt(f, entry, `"${written}" is not a valid Ansible group name; use letters, digits and "_"`);
      continue;
    }
    const name = canonicalGroup(f, entry, written, bundled);
    if (!names.includes(name)) names.push(name);
  }
  if (names.length === 0 && !/[^,\s]/.test(entry.value)) {
    problemAt(f, entry, `lists no Ansible group; write e.g. ${entry.key}=slurm_worker`);
  }
  return names;
}

/** A group's current name, warning about an old name, a bundled alias or a group the bundled playbooks lack. */
function canonicalGroup(
  f: SetupFindings,
  entry: IniEntry,
  written: string,
  bundled: BundledGroups | undefined,
): string {
  const { context, section } = f;
  const name = RENAMED_GROUPS[written] ?? written;
  if (name !== written) {
    warn(context, section, entry, `group "${written}" is now called "${name}"; write ${name} instead`);
  }
  const alias = bundled?.aliases.get(name);
  if (alias !== undefined && alias !== name) {
    warn(
      context,
      section,
      entry,
      `group "${name}" is called "${alias}" in herd's bundled playbooks; write ${alias} instead`,
    );
    return alias;
  }
  if (bundled && !bundled.groups.has(name)) {
    warn(context, section, entry, unknownGroupMessage(name, entry.key.slice(0, -'_groups'.length), bundled));
  }
  return name;
}

/** True when the setup runs herd's own playbook (`site.yml`, or `main.yml`, ElastiCluster's name for it). */
export function usesBundledPlaybooks(playbookPath: string, playbooksDir: string): boolean {
  return [join(playbooksDir, 'site.yml'), join(playbooksDir, 'main.yml')].includes(playbookPath);
}

/**
 * Why a group the bundled playbooks do not provide does nothing: ElastiCluster ignored such a group
 * silently, and the nodes came up with the base system only.
 */
function unknownGroupMessage(group: string, kind: string, bundled: BundledGroups): string {
  const provided = [...bundled.groups.keys()];
  return `group "${group}" is not provided by herd's bundled playbooks${didYouMean(group, [...provided, ...bundled.aliases.keys()])}, so it gives nodes of kind "${kind}" nothing beyond the base system; the bundled playbooks provide: ${provided.join(', ')}. Fix the name, remove it, or set playbook_path to a playbook that uses it`;
}
