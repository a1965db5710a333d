/**
 * `herd stop` against the in-memory cloud: what state knows and what only the cloud knows is
 * terminated, the state file goes only when nothing is left, and a cloud error leaves a state that
 * records exactly what still runs (with --force too).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stopCluster } from '../../src/cluster/stop.js';
import { ProviderError } from '../../src/errors.js';
import { type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import {
  expectCloudMatchesState,
  NAME,
  saved,
  savedNodes,
  sized,
  start,
  stop,
} from './orchestration-helpers.js';

let world: ClusterWorld;
afterEach(async () => {
  await world?.dispose();
});

/** A world with a started 1+2 cluster. */
async function started(): Promise<ClusterWorld> {
  world = await clusterWorld();
  await start(world, sized(2));
  return world;
}

describe('stop', () => {
  it('terminates every node, cleans up, closes connections and forgets the cluster', async () => {
    await started();
    const result = await stop(world);
    expect(result.terminated).toHaveLength(3);
    expect(result.strays).toEqual([]);
    expect(world.cloud.liveIds()).toEqual([]);
    expect(world.cloud.prepared.size).toBe(0);
    expect(world.closed).toEqual([NAME]);
    expect(await saved(world)).toBeUndefined();
  });

  it('terminates an instance only the cloud knows (by its tags) and reports it as a stray', async () => {
    await started();
    const state = (await saved(world))!;
    const stray = world.cloud.seed({ name: 'compute009', cluster: { name: NAME, id: state.id } });
    const result = await stop(world);
    expect(result.strays).toEqual([stray.instanceId]);
    expect(world.cloud.liveIds()).toEqual([]);
  });

  it('is fine with nodes that are already gone', async () => {
    await started();
    const state = (await saved(world))!;
    world.cloud.instances.get(state.nodes[1]!.instanceId!)!.state = 'terminated';
    world.cloud.instances.delete(state.nodes[2]!.instanceId!);
    await stop(world);
    expect(world.cloud.liveIds()).toEqual([]);
    expect(await saved(world)).toBeUndefined();
  });

  it('removes a cluster whose nodes never got an instance', async () => {
    world = await clusterWorld();
    world.cloud.fail('createNodes', { kind: 'quota', times: 2 });
    await start(world).catch(() => undefined);
    expect(await savedNodes(world)).toHaveLength(3);
    const result = await stop(world);
    expect(result.terminated).toEqual([]);
    expect(await saved(world)).toBeUndefined();
  });

  it('does nothing when the confirmation is declined', async () => {
    await started();
    const result = await stopCluster({
      deps: world.deps,
      name: NAME,
      cloud: sized(2).cloud,
      force: false,
      wait: false,
      confirm: async (plan) => {
        expect(plan.instances).toHaveLength(3);
        return false;
      },
    });
    expect(result.cancelled).toBe(true);
    expect(world.cloud.liveIds()).toHaveLength(3);
    expect(world.cloud.callsOf('terminateNodes')).toEqual([]);
    expect(await savedNodes(world)).toHaveLength(3);
  });

  it('a cloud error stops it with TerminateFailed; state records every node still running', async () => {
    await started();
    world.cloud.fail('terminateNodes', { kind: 'transient' });
    const error = await stop(world).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('TerminateFailed');
    expect((error as ProviderError).hint).toContain('--force');
    // Not left `terminating`: what the cloud reported after the failure.
    expect(await savedNodes(world)).toEqual(['frontend001:ready', 'compute001:ready', 'compute002:ready']);
    expect(await expectCloudMatchesState(world)).toHaveLength(3);
    await stop(world);
    expect(world.cloud.liveIds()).toEqual([]);
  });

  it('a terminate that took effect but timed out: the next stop finds nothing left', async () => {
    await started();
    world.cloud.fail('terminateNodes', { kind: 'transient', afterEffect: true });
    await expect(stop(world)).rejects.toThrow(/TerminateFailed|Could not terminate/);
    expect(world.cloud.liveIds()).toEqual([]);
    expect((await saved(world))?.nodes.every((n) => n.state === 'terminated')).toBe(true);
    await stop(world);
    expect(await saved(world)).toBeUndefined();
  });

  it('--force goes on past the error; what is still running stays in state (NodesLeft)', async () => {
    await started();
    world.cloud.fail('terminateNodes', { kind: 'fatal' });
    const error = await stop(world, { force: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('NodesLeft');
    expect(world.logged.some((l) => l.includes('going on because of --force'))).toBe(true);
    expect(await expectCloudMatchesState(world)).toHaveLength(3);
    expect(await savedNodes(world)).toHaveLength(3);
  });

  it('--force with a terminate that took effect removes the cluster', async () => {
    await started();
    world.cloud.fail('terminateNodes', { kind: 'fatal', afterEffect: true });
    await stop(world, { force: true });
    expect(world.cloud.liveIds()).toEqual([]);
    expect(await saved(world)).toBeUndefined();
  });

  it('a stray that survives is written into state, so the next stop knows it', async () => {
    await started();
    const state = (await saved(world))!;
    const stray = world.cloud.seed({
      name: 'compute009',
      cluster: { name: NAME, id: state.id },
      kind: 'compute',
    });
    // The cloud ignores the terminate of the stray (say, termination protection).
    world.cloud.on('terminateNodes', (phase) => {
      if (phase === 'after') world.cloud.instances.get(stray.instanceId)!.state = 'running';
    });
    await expect(stop(world)).rejects.toThrow(/still there: compute009/);
    expect((await saved(world))?.nodes.map((n) => n.instanceId)).toEqual([stray.instanceId]);
    expect(await expectCloudMatchesState(world)).toEqual(['compute009']);
  });

  it("never touches another cluster's instances of the same name", async () => {
    await started();
    const foreign = world.cloud.seed({ name: 'compute001', cluster: { name: NAME, id: 'another-id' } });
    await stop(world);
    expect(world.cloud.liveIds()).toEqual([foreign.instanceId]);
  });
});
