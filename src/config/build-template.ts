/**
 * Merges one `[cluster/NAME]` with the sections it references and its `[cluster/NAME/KIND]`
 * overrides into a Template, or an InvalidTemplate listing every problem found.
 */
import type { ConfigProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { ClusterFacts, KindOverride } from './cluster-facts.js';
import { checkTemplate } from './cross-checks.js';
import type { IniEntry } from './ini-reader.js';
import {
  canonicalEntries,
  providerOf,
  type ResolveContext,
  type Resolved,
  type ResolvedSetup,
} from './resolve-sections.js';
import {
  anyProviderClusterSchema,
  anyProviderNodeSchema,
  CLOUD_SCHEMAS,
  CLUSTER_KEYS,
  CLUSTER_PATTERNS,
  clusterSchema,
  LOGIN_SCHEMA,
  NODE_KEYS,
  nodeSchema,
} from './schema/index.js';
import { isSecretKey } from './secret-keys.js';
import type { Section } from './sections.js';
import type {
  CloudSection,
  ClusterSettings,
  ConfigValue,
  InvalidTemplate,
  LoginSection,
  NodeSettings,
  ProviderName,
  Template,
} from './types.js';

/** Resolves referenced sections once per load (see load.ts). */
export interface SectionResolver {
  context: ResolveContext;
  /** The section `[type/name]`, if it exists. */
  find(type: 'cloud' | 'login' | 'setup', name: string): Section | undefined;
  /** Names of every section of a type, for suggestions. */
  names(type: 'cloud' | 'login' | 'setup'): string[];
  cloud(section: Section): Resolved<CloudSection>;
  login(section: Section): Resolved<LoginSection>;
  setup(section: Section): Resolved<ResolvedSetup>;
  /** The `[cluster/NAME/KIND]` sections of a template. */
  nodeSections(template: string): Section[];
}

/** An invalid template with the node counts that could be read, for `list-templates`. */
export interface InvalidTemplateDetails extends InvalidTemplate {
  counts: Readonly<Record<string, number>>;
}

const REFERENCES = ['cloud', 'login', 'setup'] as const;

/**
 * Old ElastiCluster files wrote `frontend=1` for `frontend_nodes=1`: accept a bare kind name when
 * the setup section has `<kind>_groups` for it.
 */
function renameBareKinds(
  entries: Map<string, IniEntry>,
  setup: Section | undefined,
  cluster: Section,
  ctx: ResolveContext,
) {
  if (!setup) return entries;
  const out = new Map<string, IniEntry>();
  for (const [key, entry] of entries) {
    const isKind =
      setup.entries.has(`${key}_groups`) &&
      !Object.hasOwn(CLUSTER_KEYS, key) &&
      /^\s*\d+\s*$/.test(entry.value);
    if (!isKind) {
      out.set(key, entry);
      continue;
    }
    const nodesKey = `${key}_nodes`;
    const message = entries.has(nodesKey)
      ? `is an old spelling of ${nodesKey}, which is also set; remove ${key} (it is ignored)`
      : `is deprecated; write ${nodesKey}=${entry.value.trim()}`;
    ctx.warnings.push({ file: entry.file, line: entry.line, section: cluster.name, key, message });
    if (!entries.has(nodesKey)) out.set(nodesKey, { ...entry, key: nodesKey });
  }
  return out;
}

function explainMisplaced(key: string): string | undefined {
  if (Object.values(CLOUD_SCHEMAS).some((s) => Object.hasOwn(s.properties, key) && key !== 'provider')) {
    return 'is a cloud setting and has no effect here; move it to the [cloud/NAME] section this cluster uses';
  }
  if (Object.hasOwn(LOGIN_SCHEMA.properties, key) && key !== 'image_userdata') {
    return 'is a login setting and has no effect here; move it to the [login/NAME] section this cluster uses';
  }
  if (key.endsWith('_groups'))
    return 'sets Ansible groups, which belong in the [setup/NAME] section; move it there';
  return undefined;
}

/** Why a key of `[cluster/NAME]` is out of place in `[cluster/NAME/KIND]`, or undefined. */
function explainInNodeSection(key: string): string | undefined {
  const clusterOnly =
    Object.hasOwn(CLUSTER_KEYS, key) || Object.keys(CLUSTER_PATTERNS).some((p) => new RegExp(p).test(key));
  return clusterOnly ? 'can be set only in [cluster/NAME], not per kind' : explainMisplaced(key);
}

/**
 * What becomes of a key of `[cluster/NAME]` that herd does not know. ElastiCluster keeps such keys
 * and hands them to the playbooks inside the `elasticluster` variable (its extra-vars file); herd
 * does the same, except for keys that belong in another section or look like secrets.
 */
function extraKeyFate(key: string): { pass: boolean; note: string } {
  if (explainMisplaced(key)) return { pass: false, note: 'herd ignores it' };
  if (isSecretKey(key)) {
    return {
      pass: false,
      note: 'herd ignores it (it looks like a secret, and herd never hands secrets to Ansible)',
    };
  }
  return {
    pass: true,
    note: `herd passes it to Ansible as elasticluster.${key}, as ElastiCluster does (for a playbook variable write global_var_${key}=...)`,
  };
}

/** Builds the template of one `[cluster/NAME]` section. */
export function buildTemplate(
  cluster: Section,
  resolver: SectionResolver,
): { template: Template } | { invalid: InvalidTemplateDetails } {
  const ctx = resolver.context;
  const problems: ConfigProblem[] = [...cluster.problems];
  let entries = canonicalEntries(cluster, ctx);

  const referenced = findReferences(cluster, entries, resolver, problems);
  const cloud = referenced.cloud ? resolver.cloud(referenced.cloud) : undefined;
  const login = referenced.login ? resolver.login(referenced.login) : undefined;
  const setup = referenced.setup ? resolver.setup(referenced.setup) : undefined;
  for (const resolved of [cloud, login, setup]) if (resolved) problems.push(...resolved.problems);

  const providerOrProblem = referenced.cloud ? providerOf(referenced.cloud) : undefined;
  const provider = typeof providerOrProblem === 'string' ? providerOrProblem : undefined;

  entries = renameBareKinds(entries, referenced.setup, cluster, ctx);
  const validated = validateClusterSection(cluster, entries, referenced.setup, provider, ctx);
  problems.push(...validated.problems);
  ctx.warnings.push(...validated.warnings);
  const values = validated.values;
  problems.push(...checkIdleAction(cluster, entries, values, provider));
  const extra: Record<string, string> = {};
  for (const [key, entry] of validated.extras) if (extraKeyFate(key).pass) extra[key] = entry.value;

  // Node settings are the provider's node keys only: another cloud's keys were accepted with a warning.
  const nodeKeys = provider ? NODE_KEYS[provider] : anyProviderNodeSchema().properties;
  const nodeSettingsOf = (from: Readonly<Record<string, ConfigValue>>): NodeSettings =>
    Object.fromEntries(Object.entries(from).filter(([key]) => Object.hasOwn(nodeKeys, key)));
  const overrides = validateKindSections(cluster, resolver, provider, nodeSettingsOf, problems);

  const facts: ClusterFacts = {
    section: cluster,
    entries,
    values,
    provider,
    cloudSection: referenced.cloud,
    cloud: cloud?.value,
    setup: setup?.value,
    setupSection: referenced.setup,
    extras: validated.extras,
  };
  const checked = checkTemplate(facts, nodeSettingsOf(values), overrides);
  problems.push(...checked.problems);
  ctx.warnings.push(...checked.warnings);

  if (problems.length || !cloud?.value || !login?.value || !setup?.value) {
    const counts = Object.fromEntries(checked.kinds.map((k) => [k.name, k.count]));
    return {
      invalid: {
        name: cluster.label,
        cloudName: entries.get('cloud')?.value,
        provider: provider ?? referenced.cloud?.entries.get('provider')?.value,
        problems,
        counts,
      },
    };
  }
  const { groups: _groups, kindVars: _kindVars, ...setupSection } = setup.value;
  return {
    template: {
      name: cluster.label,
      cloud: cloud.value,
      login: login.value,
      setup: { ...setupSection, globalVars: checked.globalVars },
      cluster: clusterSettingsOf(values, extra),
      kinds: checked.kinds,
    },
  };
}

type Entries = ReturnType<typeof canonicalEntries>;

/** The `[cloud/..]`, `[login/..]` and `[setup/..]` sections the cluster names; a missing one is a problem. */
function findReferences(
  cluster: Section,
  entries: Entries,
  resolver: SectionResolver,
  problems: ConfigProblem[],
): Partial<Record<(typeof REFERENCES)[number], Section>> {
  const referenced: Partial<Record<(typeof REFERENCES)[number], Section>> = {};
  for (const type of REFERENCES) {
    const entry = entries.get(type);
    if (!entry) continue;
    const section = resolver.find(type, entry.value);
    if (section) {
      referenced[type] = section;
      continue;
    }
    const known = resolver.names(type);
    problems.push({
      file: entry.file,
      line: entry.line,
      section: cluster.name,
      key: type,
      message: `there is no [${type}/${entry.value}] section${didYouMean(entry.value, known)}; ${
        known.length
          ? `define it or use one of: ${known.join(', ')}`
          : `define a [${type}/${entry.value}] section`
      }`,
    });
  }
  return referenced;
}

/** The cluster section against its provider's schema (any provider's when the cloud is unknown). */
function validateClusterSection(
  cluster: Section,
  entries: Entries,
  setupSection: Section | undefined,
  provider: ProviderName | undefined,
  ctx: ResolveContext,
) {
  const setupKinds = setupSection
    ? [...setupSection.entries.keys()].filter((k) => k.endsWith('_groups')).map((k) => k.slice(0, -7))
    : [];
  return ctx.validator.validate(
    { ...cluster, entries },
    provider ? clusterSchema(provider) : anyProviderClusterSchema(),
    ctx.env,
    {
      mode: 'warn',
      // `pvfs2-nodes=10` (ElastiCluster's own manual has it) means pvfs2_nodes.
      candidates: [
        ...setupKinds.map((k) => `${k}_nodes`),
        ...[...entries.keys()].filter((k) => k.endsWith('-nodes')).map((k) => `${k.slice(0, -6)}_nodes`),
      ],
      explain: explainMisplaced,
      fate: (key) => extraKeyFate(key).note,
    },
  );
}

/** `idle_action=terminate` needs a cloud that deletes a node when it powers itself off. */
function checkIdleAction(
  cluster: Section,
  entries: Entries,
  values: Readonly<Record<string, ConfigValue>>,
  provider: ProviderName | undefined,
): ConfigProblem[] {
  const idleAction = entries.get('idle_action');
  if (values['idle_action'] !== 'terminate' || !provider || provider === 'ec2_boto' || !idleAction) return [];
  return [
    {
      file: idleAction.file,
      line: idleAction.line,
      section: cluster.name,
      key: 'idle_action',
      message: `terminate needs a cloud that deletes a node when it powers itself off (ec2_boto); on ${provider} use idle_action=stop (herd resume starts the nodes again, herd stop deletes them)`,
    },
  ];
}

/** The `[cluster/NAME/KIND]` sections, each validated against the provider's node schema. */
function validateKindSections(
  cluster: Section,
  resolver: SectionResolver,
  provider: ProviderName | undefined,
  nodeSettingsOf: (from: Readonly<Record<string, ConfigValue>>) => NodeSettings,
  problems: ConfigProblem[],
): Map<string, KindOverride> {
  const ctx = resolver.context;
  const overrides = new Map<string, KindOverride>();
  for (const section of resolver.nodeSections(cluster.label)) {
    const result = ctx.validator.validate(
      section,
      provider ? nodeSchema(provider) : anyProviderNodeSchema(),
      ctx.env,
      { mode: 'warn', explain: explainInNodeSection },
    );
    problems.push(...section.problems, ...result.problems);
    ctx.warnings.push(...result.warnings);
    overrides.set(section.kind!, { section, values: nodeSettingsOf(result.values), extras: result.extras });
  }
  return overrides;
}

/** The cluster-wide settings of a valid cluster section. */
function clusterSettingsOf(
  values: Readonly<Record<string, ConfigValue>>,
  extra: Record<string, string>,
): ClusterSettings {
  return {
    sshTo: values['ssh_to'] === undefined ? undefined : String(values['ssh_to']),
    sshProbeTimeout: Number(values['ssh_probe_timeout']),
    startTimeout: Number(values['start_timeout']),
    sshProxyCommand:
      values['ssh_proxy_command'] === undefined ? undefined : String(values['ssh_proxy_command']),
    sshAddress: values['ssh_address'] as ClusterSettings['sshAddress'],
    ...(!(Number(values['idle_stop_minutes']) > 0)
      ? {}
      : { idleStopMinutes: Number(values['idle_stop_minutes']) }),
    ...(values['idle_action'] === undefined
      ? {}
      : { idleAction: values['idle_action'] as NonNullable<ClusterSettings['idleAction']> }),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}
