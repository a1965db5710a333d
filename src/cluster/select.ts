/**
 * Choosing nodes of a cluster for `exec`, `put` and `get`: name patterns with globs and pdsh ranges
 * (`compute[001-010]`, `compute0*`), kind names, `-k KIND`, and filters on recorded facts
 * (`state=ready`, `ip=10.77.0.*`, `flavor!=t3.*`). Patterns add nodes; kinds and filters narrow them.
 */
import { globToRegExp } from '../config/glob.js';
import { UsageError } from '../errors.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import { compileNamePattern, splitPatternList } from './hostlist.js';

/** What the user asked for. */
export interface NodeSelector {
  /** SELECTOR words: patterns, kind names and `key=value` filters; each may be a comma list. */
  readonly words: readonly string[];
  /** `-k/--kind` values (each may be a comma list). */
  readonly kinds: readonly string[];
  /** `--all`: every node (the default when nothing else is given). */
  readonly all: boolean;
}

/** Facts a filter can test, and how to read them from a node record. */
export const FILTER_KEYS: Readonly<Record<string, (node: NodeRecord) => readonly string[]>> = {
  name: (n) => [n.name],
  kind: (n) => [n.kind],
  state: (n) => [n.state],
  ip: (n) => [...new Set([...(n.preferredIp ? [n.preferredIp] : []), ...n.privateIps, ...n.publicIps])],
  private_ip: (n) => n.privateIps,
  public_ip: (n) => n.publicIps,
  flavor: (n) => (n.flavor ? [n.flavor] : []),
  instance: (n) => (n.instanceId ? [n.instanceId] : []),
};

interface Filter {
  text: string;
  key: string;
  negate: boolean;
  value: RegExp;
}

const FILTER = /^([A-Za-z_]+)(!?=)(.*)$/;

/**
 * The nodes `selector` names, in state order. Every mistake is a UsageError (exit 2) naming the
 * bad word: an unknown filter key, a pattern or kind that matches no node (a typo must not silently
 * shrink the target set), `--all` with other selectors, or a selection left empty by its filters.
 */
export function selectNodes(state: ClusterState, selector: NodeSelector): NodeRecord[] {
  const items = selector.words.flatMap(splitPatternList);
  const kinds = selector.kinds.flatMap(splitPatternList);
  if (selector.all && (items.length > 0 || kinds.length > 0)) {
    throw new UsageError('--all selects every node; do not combine it with node patterns, -k or filters.');
  }
  const filters: Filter[] = [];
  const patterns: string[] = [];
  for (const item of items) {
    const match = FILTER.exec(item);
    if (match) filters.push(parseFilter(item, match));
    else patterns.push(item);
  }
  const allKinds = [
    ...new Set([...state.template.kinds.map((k) => k.name), ...state.nodes.map((n) => n.kind)]),
  ];
  const unknownKinds = kinds.filter((k) => !allKinds.includes(k));
  if (unknownKinds.length > 0) {
    throw new UsageError(
      `-k/--kind ${unknownKinds.join(',')}: cluster "${state.name}" has no such kind; its kinds are: ${allKinds.join(', ')}.`,
    );
  }

  let chosen = state.nodes;
  if (patterns.length > 0) {
    const picked = new Set<NodeRecord>();
    const unmatched: string[] = [];
    for (const pattern of patterns) {
      const hits = matchPattern(state, pattern);
      if (hits.length === 0) unmatched.push(pattern);
      for (const node of hits) picked.add(node);
    }
    if (unmatched.length > 0) {
      throw new UsageError(
        `${unmatched.map((p) => `"${p}"`).join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no node or kind of cluster "${state.name}".`,
        { hint: describeNodes(state) },
      );
    }
    chosen = state.nodes.filter((n) => picked.has(n));
  }
  if (kinds.length > 0) chosen = chosen.filter((n) => kinds.includes(n.kind));
  for (const filter of filters) {
    const read = FILTER_KEYS[filter.key]!;
    chosen = chosen.filter((n) => read(n).some((v) => filter.value.test(v)) !== filter.negate);
  }
  if (chosen.length === 0) {
    const what = [...patterns, ...kinds.map((k) => `-k ${k}`), ...filters.map((f) => f.text)].join(' ');
    throw new UsageError(
      state.nodes.length === 0
        ? `Cluster "${state.name}" has no nodes.`
        : `No node of cluster "${state.name}" matches ${what}.`,
      { hint: describeNodes(state) },
    );
  }
  return chosen;
}

/** Nodes whose name matches the pattern; a plain word that names a kind selects that kind. */
function matchPattern(state: ClusterState, pattern: string): NodeRecord[] {
  let test: (name: string) => boolean;
  try {
    test = compileNamePattern(pattern);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const byName = state.nodes.filter((n) => test(n.name));
  if (byName.length > 0) return byName;
  return state.nodes.filter((n) => n.kind === pattern);
}

function parseFilter(text: string, match: RegExpExecArray): Filter {
  const [, key, op, value] = match as unknown as [string, string, string, string];
  if (!Object.hasOwn(FILTER_KEYS, key)) {
    throw new UsageError(
      `Filter "${text}": unknown fact "${key}"; filters can test ${Object.keys(FILTER_KEYS).join(', ')}.`,
      { hint: 'Example: state=ready, ip=10.77.0.*, kind!=frontend' },
    );
  }
  if (value === '') throw new UsageError(`Filter "${text}" has no value; write e.g. ${key}=*.`);
  return { text, key, negate: op === '!=', value: globToRegExp(value) };
}

function describeNodes(state: ClusterState): string {
  if (state.nodes.length === 0)
    return `Start its nodes with: herd start ${state.templateName} -n ${state.name}`;
  const rows = state.nodes.map((n) => `${n.name} (${n.state}${n.preferredIp ? `, ${n.preferredIp}` : ''})`);
  return `Its nodes: ${rows.join(', ')}. See herd list-nodes ${state.name}.`;
}
