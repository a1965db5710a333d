/**
 * Skipping a setup run that would change nothing, on the in-memory cloud: which runs happen, with
 * which arguments, and which marks the nodes hold.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setupCluster } from '../../src/cluster/configure.js';
import { resizeCluster } from '../../src/cluster/resize.js';
import type { Template } from '../../src/config/types.js';
import type { ClusterState } from '../../src/state/types.js';
import { ansibleFailure, type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import { NAME, saved, sized, start } from './orchestration-helpers.js';

let world: ClusterWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** A world whose bundled playbooks are the fixture template's (`/opt/herd/playbooks/site.yml`). */
async function bundledWorld(): Promise<ClusterWorld> {
  world = await clusterWorld({ overrides: { playbooksDir: '/opt/herd/playbooks' } });
  return world;
}

/** `herd setup NAME` with the saved template (or `change` applied to it). */
function setup(
  w: ClusterWorld,
  options: { force?: boolean; extraArgs?: string[]; change?: (t: Template) => Template } = {},
) {
  return setupCluster({
    deps: w.deps,
    name: NAME,
    templateFor: async (state: ClusterState) => {
      const tpl = { ...state.template, cloud: sized(2).cloud };
      return options.change ? options.change(tpl) : tpl;
    },
    extraArgs: options.extraArgs,
    force: options.force,
  });
}

/** Each setup run as its extra arguments joined by spaces ('' for none). */
const runArgs = (w: ClusterWorld) => w.setupRuns.map((r) => (r.extraArgs ?? []).join(' '));

describe('herd setup on a configured cluster', () => {
  it('records the digest on every node after start, then skips Ansible, saying how many nodes it read', async () => {
    const w = await bundledWorld();
    await start(w);
    const digest = w.marks.get('frontend001');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect([...w.marks.values()]).toEqual([digest, digest, digest]);
    const { result } = await setup(w);
    expect(result.ran).toBe(false);
    expect(result.checked?.nodes).toBe(3);
    expect(w.setupRuns).toHaveLength(1);
  });

  it('runs with --force, and records the same digest again', async () => {
    const w = await bundledWorld();
    await start(w);
    const before = new Map(w.marks);
    const { result } = await setup(w, { force: true });
    expect(result.ran).toBe(true);
    expect(w.setupRuns).toHaveLength(2);
    expect(w.marks).toEqual(before);
  });

  it('runs when a setup variable changed, and the next run is skipped again', async () => {
    const w = await bundledWorld();
    await start(w);
    const changed = (t: Template): Template => ({
      ...t,
      setup: { ...t.setup, globalVars: { ...t.setup.globalVars, slurm_mpi: 'yes' } },
    });
    expect((await setup(w, { change: changed })).result.ran).toBe(true);
    expect((await setup(w, { change: changed })).result.ran).toBe(false);
    expect((await setup(w)).result.ran).toBe(true);
  });

  it('runs when a node cannot be asked; that node keeps the mark of the same inputs it could not forget', async () => {
    const w = await bundledWorld();
    await start(w);
    w.unreachable.add('compute002');
    expect((await setup(w)).result.ran).toBe(true);
    w.unreachable.clear();
    // compute002 kept the old mark (it could not be told to forget it) but the run is the same: fine.
    expect((await setup(w)).result.ran).toBe(false);
  });

  it('runs when a node holds no mark (re-created with a fresh disk)', async () => {
    const w = await bundledWorld();
    await start(w);
    w.marks.delete('compute001');
    expect((await setup(w)).result.ran).toBe(true);
    expect(w.marks.get('compute001')).toBe(w.marks.get('frontend001'));
  });

  it('runs when a node is another instance (replaced), whatever its disk holds', async () => {
    const w = await bundledWorld();
    await start(w);
    const state = (await saved(w))!;
    state.nodes[1]!.instanceId = 'i-replaced';
    await w.deps.repo.save(state);
    expect((await setup(w)).result.ran).toBe(true);
  });

  it('runs arguments after -- always, and records nothing: the next plain run runs too', async () => {
    const w = await bundledWorld();
    await start(w);
    const { result } = await setup(w, { extraArgs: ['--tags', 'slurm'] });
    expect(result.ran).toBe(true);
    expect(runArgs(w)).toEqual(['', '--tags slurm']);
    expect(w.marks.size).toBe(0);
    expect((await setup(w)).result.ran).toBe(true);
    expect((await setup(w)).result.ran).toBe(false);
  });

  it('never skips when the digest cannot be made, and records nothing', async () => {
    const w = await bundledWorld();
    await start(w);
    w.digestOverride = { value: undefined };
    expect((await setup(w)).result.ran).toBe(true);
    expect((await setup(w)).result.ran).toBe(true);
    expect(w.marks.size).toBe(0);
  });

  it('after a failed run no node claims the last finished one, even with the inputs changed back', async () => {
    const w = await bundledWorld();
    await start(w);
    w.setupFailures.push(ansibleFailure(['compute001']));
    const changed = (t: Template): Template => ({ ...t, setup: { ...t.setup, globalVars: { x: '1' } } });
    await expect(setup(w, { change: changed })).rejects.toThrow('ansible-playbook failed');
    expect(w.marks.size).toBe(0);
    expect((await setup(w)).result.ran).toBe(true);
  });

  it("reads no marks before the cluster's first finished setup", async () => {
    const w = await bundledWorld();
    await start(w, sized(2), { setup: false });
    let reads = 0;
    const read = w.deps.setupMarks.read;
    w.deps.setupMarks.read = (...args) => {
      reads += 1;
      return read(...args);
    };
    expect((await setup(w)).result.ran).toBe(true);
    expect(reads).toBe(0);
    expect((await setup(w)).result.ran).toBe(false);
    expect(reads).toBe(1);
  });
});

describe('resize on a configured cluster', () => {
  /** `herd resize NAME -a 1:compute`. */
  const addOne = (w: ClusterWorld) =>
    resizeCluster({
      deps: w.deps,
      name: NAME,
      cloud: sized(2).cloud,
      add: [{ kind: 'compute', count: 1 }],
      remove: [],
      setup: true,
    });
  const refreshOnly = (w: ClusterWorld) => w.setupRuns.map((r) => r.extraVars?.herd_refresh_only);

  it('gives the unchanged workers only the node list and records the new digest everywhere', async () => {
    const w = await bundledWorld();
    await start(w);
    const before = new Set(w.marks.values());
    const result = await addOne(w);
    expect(result.setupRan).toBe(true);
    expect(refreshOnly(w)).toEqual([undefined, ['compute001', 'compute002']]);
    expect(runArgs(w)).toEqual(['', '']);
    // Every node, the refreshed ones too, holds the digest of the new inputs: a setup now has nothing to do ...
    const after = new Set(w.marks.values());
    expect(after.size).toBe(1);
    expect(w.marks.size).toBe(4);
    expect(before.has([...after][0])).toBe(false);
    expect((await setup(w)).result.ran).toBe(false);
    // ... and the next resize narrows again (the worker added last time included).
    await addOne(w);
    expect(refreshOnly(w)[2]).toEqual(['compute001', 'compute002', 'compute003']);
  });

  it('runs everything on Slurm workers that keep their own slurm.conf (configless off)', async () => {
    const w = await bundledWorld();
    const tpl = sized(2);
    const off = {
      ...tpl,
      kinds: tpl.kinds.map((k) => (k.name === 'compute' ? { ...k, vars: { slurm_configless: 'No' } } : k)),
    };
    await start(w, off);
    await resizeCluster({
      deps: w.deps,
      name: NAME,
      cloud: off.cloud,
      add: [{ kind: 'compute', count: 1 }],
      remove: [],
      setup: true,
    });
    expect(refreshOnly(w)).toEqual([undefined, undefined]);
  });

  it('records the new digest when no node could be narrowed (a full run after all)', async () => {
    const w = await bundledWorld();
    await start(w);
    for (const node of w.marks.keys()) w.marks.delete(node);
    await addOne(w);
    expect(refreshOnly(w)[1]).toBeUndefined();
    expect(new Set(w.marks.values()).size).toBe(1);
    expect(w.marks.size).toBe(4);
    expect((await setup(w)).result.ran).toBe(false);
  });

  it('runs everything on a worker that does not hold the mark of the last full run', async () => {
    const w = await bundledWorld();
    await start(w);
    w.marks.set('compute002', 'f'.repeat(64));
    await addOne(w);
    expect(refreshOnly(w)[1]).toEqual(['compute001']);
  });

  it("runs everything everywhere with the user's own playbook", async () => {
    world = await clusterWorld();
    await start(world);
    await addOne(world);
    expect(refreshOnly(world)).toEqual([undefined, undefined]);
  });
});
