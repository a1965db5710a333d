/**
 * After `resize -a` of worker kinds, which nodes need the whole playbook: the new nodes and the
 * nodes of the other kinds (the masters, which configure the others: slurmctld's node list, the
 * /home exports). The existing workers only learn the new nodes' addresses (`--tags addresses`):
 * configless slurmd fetches the new slurm.conf from slurmctld. The existing masters run that tag too:
 * the Slurm role reads the master's Slurm version in the same run.
 */
import { usesBundledPlaybooks } from '../config/resolve-sections.js';
import type { Template } from '../config/types.js';
import type { ClusterState } from '../state/types.js';
import type { SetupLimit } from './configure.js';
import type { ClusterDeps } from './deps.js';

/** Groups whose existing members need nothing from the bundled playbooks but new addresses when members are added. */
const WORKER_ONLY_GROUPS = new Set(['slurm_worker', 'ganglia_monitor', 'hpc', 'r']);

/** Options of {@link growthLimit}. */
export interface GrowthLimitOptions {
  readonly deps: ClusterDeps;
  readonly state: ClusterState;
  readonly template: Template;
  /** The kinds nodes were added to. */
  readonly kinds: readonly string[];
  /** The nodes this resize added (and that answer SSH). */
  readonly added: readonly string[];
  readonly signal?: AbortSignal | undefined;
}

/**
 * The limited run after adding nodes, or undefined for a run of the whole playbook on every node:
 * when the playbook is the user's own (plain ansible-playbook semantics), a kind added to does more
 * than work, the cluster never finished a setup, or any existing worker is in doubt (it holds no
 * mark of a finished run, or the fact cache lacks its facts, gathered from the host key herd pinned:
 * the masters' known hosts and slurm.conf are written from them).
 */
export async function growthLimit(options: GrowthLimitOptions): Promise<SetupLimit | undefined> {
  const { deps, state, template } = options;
  if (state.setupCompletedAt === undefined || options.added.length === 0) return undefined;
  if (!usesBundledPlaybooks(template.setup.playbookPath, deps.playbooksDir)) return undefined;
  const workerOnly = new Set(
    template.kinds
      .filter((k) => k.groups.length > 0 && k.groups.every((g) => WORKER_ONLY_GROUPS.has(g)))
      .map((k) => k.name),
  );
  if (!options.kinds.every((kind) => workerOnly.has(kind))) return undefined;
  const ready = state.nodes.filter((n) => n.state === 'ready' && n.preferredIp !== undefined);
  const existing = ready.filter((n) => !options.added.includes(n.name));
  const workers = existing.filter((n) => workerOnly.has(n.kind));
  if (workers.length === 0) return undefined;
  const [marks, cached] = await Promise.all([
    deps.setupMarks.read(state, workers, options.signal),
    deps.setupMarks.cachedFacts(state, existing),
  ]);
  if (workers.some((n) => marks.get(n.name) === undefined) || existing.some((n) => !cached.has(n.name))) {
    return undefined;
  }
  const full = ready.filter((n) => !workers.includes(n)).map((n) => n.name);
  return { full, addresses: existing.map((n) => n.name) };
}
