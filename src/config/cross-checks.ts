/**
 * Checks that span sections (kinds, groups, counts, ssh_to, EC2 vpc) and assembles the kinds of
 * a template. Runs after each section passed its own schema.
 */
import type { ConfigProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { checkAnsibleVariable } from './ansible-checks.js';
import type { ClusterFacts, KindOverride } from './cluster-facts.js';
import type { IniEntry } from './ini-reader.js';
import { kindNameProblem } from './kinds.js';
import { cloudRow, SETUP_SCHEMA } from './schema/index.js';
import type { Section } from './sections.js';
import type { KindSpec, NodeSettings } from './types.js';
import { keySchemaOf, misspeltAs } from './validate.js';

/** Kinds, merged variables and every cross-section problem of one template. */
export interface CheckedTemplate {
  kinds: KindSpec[];
  globalVars: Record<string, string>;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** Runs the cross-checks of one template and builds its kinds. */
export function checkTemplate(
  facts: ClusterFacts,
  clusterNodeSettings: NodeSettings,
  overrides: ReadonlyMap<string, KindOverride>,
): CheckedTemplate {
  const { section: cluster, entries, setup } = facts;
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const at: Report = (where, key, message, section = cluster.name) =>
    problems.push({ file: where.file, line: where.line, section, key, message });
  const keys = readClusterKeys(facts, at, warnings);
  const { counts } = keys;
  const kindNames = [...counts.keys()];
  checkKindReferences(cluster, entries, overrides, counts, kindNames, at);

  const globalVars = { ...setup?.globalVars, ...keys.globalVars };
  const kinds: KindSpec[] = [];
  for (const [kind, { count, entry }] of counts) {
    const min = checkMinimum(facts, kind, count, at);
    checkGroupsKey(facts, kind, entry, at);
    const override = overrides.get(kind);
    const settings: NodeSettings = { ...clusterNodeSettings, ...override?.values };
    checkRequiredNodeKeys(facts, kind, settings, override, at);
    kinds.push({
      name: kind,
      count,
      min,
      groups: setup?.groups.get(kind)?.groups ?? [],
      vars: { ...globalVars, ...setup?.kindVars.get(kind), ...keys.kindVars.get(kind) },
      settings,
    });
  }

  const missingNetwork = kinds.filter((k) => k.settings.network_ids === undefined).map((k) => k.name);
  checkVpcNetworks(facts, missingNetwork, at);
  checkSshTo(entries, counts, kindNames, at);
  return { kinds, globalVars, problems, warnings };
}

/** What the cluster section's own keys say: node counts and variables. */
interface ClusterKeys {
  /** `<kind>_nodes` of each valid kind name, with the line that set it. */
  counts: Map<string, { count: number; entry: IniEntry }>;
  /** `global_var_<name>`. */
  globalVars: Record<string, string>;
  /** `<kind>_var_<name>` by kind. */
  kindVars: Map<string, Record<string, string>>;
}

/** Reads the node counts and the variables of the cluster section, checking kind and variable names. */
function readClusterKeys(facts: ClusterFacts, at: Report, warnings: ConfigProblem[]): ClusterKeys {
  const { section: cluster, entries, values } = facts;
  const keys: ClusterKeys = { counts: new Map(), globalVars: {}, kindVars: new Map() };
  const checkVariable = (entry: IniEntry, name: string) => {
    const checked = checkAnsibleVariable(name, entry.value);
    const where = { file: entry.file, line: entry.line, section: cluster.name, key: entry.key };
    if (checked.warning) warnings.push({ ...where, message: checked.warning });
    if (checked.error) at(entry, entry.key, checked.error);
  };
  for (const [key, entry] of entries) {
    if (key.endsWith('_nodes')) {
      const kind = key.slice(0, -'_nodes'.length);
      const bad = kindNameProblem(kind);
      if (bad) at(entry, key, bad);
      else if (typeof values[key] === 'number') keys.counts.set(kind, { count: values[key], entry });
    } else if (key.startsWith('global_var_')) {
      keys.globalVars[key.slice('global_var_'.length)] = entry.value;
      checkVariable(entry, key.slice('global_var_'.length));
    } else if (key.includes('_var_')) {
      const split = key.indexOf('_var_');
      const vars = keys.kindVars.get(key.slice(0, split)) ?? {};
      vars[key.slice(split + '_var_'.length)] = entry.value;
      keys.kindVars.set(key.slice(0, split), vars);
      checkVariable(entry, key.slice(split + '_var_'.length));
    }
  }
  return keys;
}

/** `<kind>_nodes_min` (default: the count), which must not exceed the count. */
function checkMinimum(facts: ClusterFacts, kind: string, count: number, at: Report): number {
  const minKey = `${kind}_nodes_min`;
  const value = facts.values[minKey];
  const min = typeof value === 'number' ? value : count;
  if (min > count) {
    at(
      facts.entries.get(minKey)!,
      minKey,
      `is ${min}, more than ${kind}_nodes=${count}; lower it to ${count} or less`,
    );
  }
  return min;
}

/** The setup section must give every kind its groups (`<kind>_groups`). */
function checkGroupsKey(facts: ClusterFacts, kind: string, entry: IniEntry, at: Report): void {
  const { setupSection } = facts;
  const groupsKey = `${kind}_groups`;
  if (!setupSection || setupSection.entries.has(groupsKey)) return;
  const known = [...setupSection.entries.keys()].filter((k) => k.endsWith('_groups'));
  const typo = misspeltAs(groupsKey, setupSection, (k) => !keySchemaOf(SETUP_SCHEMA, k));
  at(
    entry,
    entry.key,
    `kind "${kind}" has no ${groupsKey} in [${setupSection.name}] (${setupSection.file}:${setupSection.line})${typo ? '' : didYouMean(groupsKey, known)}; add ${groupsKey}=GROUP[,GROUP...] there${typo}`,
  );
}

/** The node keys the cloud needs for every kind (image_id, flavor, ...), with a likely misspelling named. */
function checkRequiredNodeKeys(
  facts: ClusterFacts,
  kind: string,
  settings: NodeSettings,
  override: KindOverride | undefined,
  at: Report,
): void {
  if (!facts.provider) return;
  const cluster = facts.section;
  for (const key of cloudRow(facts.provider).requiredNodeKeys) {
    if (settings[key] !== undefined) continue;
    const typo =
      (override && misspeltAs(key, { entries: override.extras }, () => true)) ||
      misspeltAs(key, { entries: facts.extras }, () => true);
    at(
      cluster,
      key,
      `kind "${kind}" has no ${key}; set ${key} in [${cluster.name}] or [${cluster.name}/${kind}]${typo}`,
    );
  }
}

type Report = (where: IniEntry | Section, key: string | undefined, message: string, section?: string) => void;

/** Every `<kind>_nodes_min` and `[cluster/NAME/KIND]` names a kind the cluster defines, and it defines one. */
function checkKindReferences(
  cluster: Section,
  entries: ReadonlyMap<string, IniEntry>,
  overrides: ReadonlyMap<string, KindOverride>,
  counts: ReadonlyMap<string, unknown>,
  kindNames: readonly string[],
  at: Report,
): void {
  for (const [key, entry] of entries) {
    const kind = key.endsWith('_nodes_min') ? key.slice(0, -'_nodes_min'.length) : undefined;
    if (kind !== undefined && !counts.has(kind) && !entries.has(`${kind}_nodes`)) {
      at(
        entry,
        key,
        `sets a minimum for kind "${kind}", which has no ${kind}_nodes; add ${kind}_nodes=N or remove this line`,
      );
    }
  }
  for (const [kind, { section }] of overrides) {
    if (!counts.has(kind) && !entries.has(`${kind}_nodes`)) {
      at(
        section,
        undefined,
        `overrides kind "${kind}", which [${cluster.name}] does not define${didYouMean(kind, kindNames)}; add ${kind}_nodes=N to [${cluster.name}] or rename this section`,
        section.name,
      );
    }
  }
  if (![...entries.keys()].some((k) => k.endsWith('_nodes'))) {
    at(
      cluster,
      undefined,
      'defines no nodes; add <kind>_nodes=N lines, e.g. frontend_nodes=1 and compute_nodes=2',
    );
  }
}

/** On EC2 with a `vpc`, every kind needs `network_ids` (subnet ids). */
function checkVpcNetworks(facts: ClusterFacts, missingNetwork: readonly string[], at: Report): void {
  const cluster = facts.section;
  const vpc = facts.cloudSection?.entries.get('vpc');
  if (facts.provider === 'ec2_boto' && vpc && missingNetwork.length) {
    at(
      cluster,
      'network_ids',
      `[${facts.cloudSection!.name}] sets vpc=${vpc.value} (${vpc.file}:${vpc.line}), so every kind needs network_ids (subnet ids) but ${missingNetwork.join(', ')} has none; set network_ids in [${cluster.name}] or per kind`,
    );
  }
}

/** `ssh_to` names a kind of the cluster or one of its nodes. */
function checkSshTo(
  entries: ReadonlyMap<string, IniEntry>,
  counts: ReadonlyMap<string, unknown>,
  kindNames: readonly string[],
  at: Report,
): void {
  const sshTo = entries.get('ssh_to');
  if (sshTo && kindNames.length) {
    const node = /^(.*?)(\d+)$/.exec(sshTo.value);
    if (!counts.has(sshTo.value) && !(node && counts.has(node[1]!))) {
      at(
        sshTo,
        'ssh_to',
        `"${sshTo.value}" is not a kind of this cluster${didYouMean(sshTo.value, kindNames)}; use one of: ${kindNames.join(', ')} (or a node name such as ${kindNames[0]}001)`,
      );
    }
  }
}
