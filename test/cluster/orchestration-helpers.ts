/**
 * Shared steps of the orchestration tests: a template of given sizes, `start` on a world, the check
 * that the cloud runs exactly what the state file records, and a crash: the state file as it was on
 * disk when the process "died" is what the next herd run finds.
 */
import { expect } from 'vitest';
import { startCluster } from '../../src/cluster/start.js';
import { stopCluster } from '../../src/cluster/stop.js';
import type { KindSpec, Template } from '../../src/config/types.js';
import type { ClusterState } from '../../src/state/types.js';
import type { ClusterWorld } from '../fakes/cluster-world.js';
import type { CloudMethod } from '../fakes/memory-provider.js';
import { template } from '../ssh/fixtures.js';

export const NAME = 'mycluster';

/** A template with one frontend and `compute` compute nodes, at least `min` of them. */
export function sized(compute: number, min = compute, startTimeout = 600): Template {
  const base = template();
  const kinds: KindSpec[] = [
    { name: 'frontend', count: 1, min: 1, groups: ['slurm_master'], vars: {}, settings: { flavor: 'small' } },
    {
      name: 'compute',
      count: compute,
      min,
      groups: ['slurm_worker'],
      vars: {},
      settings: { flavor: 'large' },
    },
  ];
  return { ...base, cluster: { ...base.cluster, startTimeout }, kinds };
}

/** `herd start` of `tpl` as cluster NAME. */
export function start(
  world: ClusterWorld,
  tpl: Template = sized(2),
  options: { setup?: boolean; signal?: AbortSignal } = {},
) {
  return startCluster({
    deps: world.deps,
    template: tpl,
    name: NAME,
    nodeCounts: [],
    setup: options.setup ?? true,
    signal: options.signal,
  });
}

/** `herd stop NAME`. */
export function stop(world: ClusterWorld, options: { force?: boolean } = {}) {
  return stopCluster({
    deps: world.deps,
    name: NAME,
    cloud: template().cloud,
    force: options.force ?? false,
    wait: false,
  });
}

/** The saved state, or undefined when the cluster was forgotten. */
export function saved(world: ClusterWorld): Promise<ClusterState | undefined> {
  return world.deps.repo.tryLoad(NAME);
}

/** `name:state` of every node in the saved state. */
export async function savedNodes(world: ClusterWorld): Promise<string[]> {
  return ((await saved(world))?.nodes ?? []).map((n) => `${n.name}:${n.state}`);
}

/**
 * The invariant: every instance the cloud runs for the cluster is in the state file, and the state
 * file records no instance twice. Returns the live instances' node names, sorted.
 */
export async function expectCloudMatchesState(world: ClusterWorld): Promise<string[]> {
  const state = await saved(world);
  const recorded = (state?.nodes ?? []).flatMap((n) => (n.instanceId ? [n.instanceId] : []));
  const live = world.cloud.liveIds({ name: NAME, id: state?.id });
  expect(new Set(recorded).size).toBe(recorded.length);
  for (const id of live) expect(recorded).toContain(id);
  return world.cloud
    .live()
    .map((i) => i.name ?? i.instanceId)
    .sort();
}

/** Thrown where the process "dies". */
export class Crash extends Error {
  constructor() {
    super('crash: the process died here');
  }
}

/**
 * A crash point: at its first `hit()` the state file as it is on disk is kept and the run dies;
 * until `restore()` every hit and every cloud call dies too (a dead process makes none). The run
 * may still end any way (orchestration catches what a provider throws); `restore()`, called once it
 * ended, puts back what the dead process left on disk, undoing the catch and finally blocks it would
 * never have run. After that, hits do nothing: the next run goes through.
 */
export function crashPoint(world: ClusterWorld): { hit: () => Promise<void>; restore: () => Promise<void> } {
  let snapshot: ClusterState | undefined;
  let state: 'armed' | 'dead' | 'restored' = 'armed';
  for (const method of CLOUD_METHODS) {
    world.cloud.on(method, (phase) => {
      if (state === 'dead' && phase === 'before') throw new Crash();
    });
  }
  return {
    async hit() {
      if (state === 'restored') return;
      if (state === 'armed') {
        state = 'dead';
        snapshot = await saved(world);
      }
      throw new Crash();
    },
    async restore() {
      expect(state).toBe('dead');
      state = 'restored';
      if (snapshot) await world.deps.repo.save(snapshot);
      else await world.deps.repo.remove(NAME).catch(() => undefined);
    },
  };
}

const CLOUD_METHODS: readonly CloudMethod[] = [
  'prepare',
  'createNodes',
  'describeNodes',
  'findNodes',
  'terminateNodes',
  'stopNodes',
  'startNodes',
  'cleanup',
];
