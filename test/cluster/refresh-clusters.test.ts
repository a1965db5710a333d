/**
 * `herd list -u` (refreshClusters) against the in-memory cloud: a cluster whose nodes the cloud reports
 * stopped (it powered itself off) is recorded paused by `idle`; one cluster's cloud failing or lock
 * being held never keeps the others from being refreshed, and never changes that cluster's state file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { refreshClusters } from '../../src/cluster/refresh.js';
import { startCluster } from '../../src/cluster/start.js';
import type { CloudSection } from '../../src/config/types.js';
import { ProviderError } from '../../src/errors.js';
import type { ClusterState } from '../../src/state/types.js';
import { listRow, refreshWarning, renderClusterList } from '../../src/ui/cluster-list.js';
import { type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import { sized } from './orchestration-helpers.js';

let world: ClusterWorld;
afterEach(() => world?.dispose());

/** Starts cluster `name` (idle auto-stop after 30 minutes) on the world's cloud, without setup. */
async function startIdleStopping(name: string): Promise<ClusterState> {
  const base = sized(1);
  const template = { ...base, cluster: { ...base.cluster, idleStopMinutes: 30 } };
  return (
    await startCluster({ deps: world.deps, template, name, nodeCounts: [], setup: false, signal: undefined })
  ).state;
}

/** The cloud sees every node of `name` power itself off (what the idle_stop role does). */
function powerOff(name: string): void {
  for (const instance of world.cloud.live()) if (instance.cluster.name === name) instance.state = 'stopped';
}

/** A new world with clusters `a` and `b` (idle auto-stop), whose nodes all powered themselves off. */
async function twoStoppedClusters(a: string, b: string): Promise<void> {
  world = await clusterWorld();
  for (const name of [a, b]) {
    await startIdleStopping(name);
    powerOff(name);
  }
}

const refreshAll = async (cloudOf = (s: ClusterState) => s.template.cloud) =>
  refreshClusters({ deps: world.deps, clusters: (await world.deps.repo.list()).clusters, cloudOf });

describe('herd list -u', () => {
  it('records a cluster whose nodes the cloud reports stopped as paused (idle), and saves it', async () => {
    world = await clusterWorld();
    await startIdleStopping('idle');
    await startIdleStopping('busy');
    powerOff('idle');
    const [busy, idle] = await refreshAll();
    expect(idle).toMatchObject({ name: 'idle', outcome: 'updated' });
    expect(busy).toMatchObject({ name: 'busy', outcome: 'updated' });
    const saved = await world.deps.repo.load('idle');
    expect(saved.pause).toMatchObject({ phase: 'paused', by: 'idle' });
    expect(saved.nodes.map((n) => n.state)).toEqual(['stopped', 'stopped']);
    expect((await world.deps.repo.load('busy')).pause).toBeUndefined();
    const text = renderClusterList(
      [busy!, idle!].map((r) => listRow((r as { state: ClusterState }).state, r)),
    );
    expect(text).toContain('status:   paused (idle) since ' + saved.pause?.since);
    // The cloud was asked about both clusters in one describe call each.
    expect(world.cloud.callsOf('describeNodes')).toHaveLength(2);
  });

  it('goes on past a cluster whose cloud fails: the others are refreshed, its state file is unchanged', async () => {
    await twoStoppedClusters('broken', 'fine');
    const before = await readFile(join(world.dir, 'broken.json'), 'utf8');
    // The broken cluster's cloud section carries credentials the cloud refuses.
    const refused = (s: ClusterState) => ({ ...s.template.cloud, settings: { refused: true } });
    (world.deps as { createProvider: unknown }).createProvider = async (cloud: CloudSection) => {
      if (cloud.settings['refused']) {
        throw new ProviderError('AuthFailure', 'AWS was not able to validate the credentials');
      }
      return world.cloud.provider;
    };
    const results = await refreshAll((s) => (s.name === 'broken' ? refused(s) : s.template.cloud));
    const broken = results.find((r) => r.name === 'broken');
    expect(broken).toMatchObject({ outcome: 'failed', error: { code: 'AuthFailure' } });
    expect(results.find((r) => r.name === 'fine')).toMatchObject({ outcome: 'updated' });
    expect((await world.deps.repo.load('fine')).pause).toMatchObject({ by: 'idle' });
    expect(await readFile(join(world.dir, 'broken.json'), 'utf8')).toBe(before);
    if (broken?.outcome !== 'failed') throw new Error('unreachable');
    const warning = refreshWarning(broken, ['[cloud/local] is not in the configuration.']);
    expect(warning).toMatch(
      /^Cluster "broken" not updated: asking cloud "local" \(local\) failed: AWS was not/,
    );
    expect(warning).toContain(
      'failed: AWS was not able to validate the credentials ([cloud/local] is not in the configuration). Fix:',
    );
    expect(warning).toContain('Fix: check [cloud/local] and its credentials with "herd check local"');
    expect(warning).not.toContain('\n');
    const row = listRow(broken.state, broken);
    expect(row.refresh).toMatchObject({ outcome: 'failed', code: 'AuthFailure' });
    expect(row.paused).toBeNull();
    expect(renderClusterList([row])).toContain(
      'note:     not updated, as last saved: its cloud could not be asked (see the warning)',
    );
  });

  it('lists a cluster another herd holds the lock of as last saved, and refreshes the others', async () => {
    await twoStoppedClusters('held', 'free');
    const lock = await world.deps.repo.lock('held');
    try {
      const results = await refreshAll();
      const held = results.find((r) => r.name === 'held');
      expect(held).toMatchObject({ outcome: 'locked', error: { code: 'StateLocked' } });
      expect((await world.deps.repo.load('held')).pause).toBeUndefined();
      expect((await world.deps.repo.load('free')).pause).toMatchObject({ by: 'idle' });
      expect(renderClusterList([listRow((held as { state: ClusterState }).state, held)])).toContain(
        `note:     not updated, as last saved: Cluster "held" is locked by another herd process (PID ${process.pid}).`,
      );
    } finally {
      await lock.release();
    }
  });
});

describe('herd list without -u', () => {
  it('hints that -u shows whether a cluster with idle auto-stop stopped itself, and only then', async () => {
    world = await clusterWorld();
    const idle = await startIdleStopping('idle');
    const plain = await startCluster({
      deps: world.deps,
      template: sized(1),
      name: 'plain',
      nodeCounts: [],
      setup: false,
      signal: undefined,
    });
    const rows = [listRow(idle), listRow(plain.state)];
    expect(rows.map((r) => r.hint)).toEqual([
      'idle_stop_minutes=30: herd list -u shows whether it stopped itself',
      null,
    ]);
    expect(rows.map((r) => r.refresh)).toEqual([null, null]);
    expect(renderClusterList(rows).filter((l) => l.startsWith('note:'))).toEqual([
      'note:     idle_stop_minutes=30: herd list -u shows whether it stopped itself',
    ]);
    // A cluster already recorded paused needs no hint.
    expect(listRow({ ...idle, pause: { phase: 'paused', by: 'idle', since: 'now' } }).hint).toBeNull();
  });
});
