/**
 * Pause and resume through the GCE and OpenStack providers against their fakes (test/fakes, shaped
 * after the published APIs: instances.stop/start with TERMINATED as the stopped state, Nova's
 * os-stop/os-start with SHUTOFF and 409 while a server powers off). SSH is the world's readyAtFirstIp double.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pauseCluster } from '../../src/cluster/pause.js';
import { resumeCluster } from '../../src/cluster/resume.js';
import type { CloudSection } from '../../src/config/types.js';
import { createGceProvider } from '../../src/providers/gce/index.js';
import type { ClusterRef, CreateNodesRequest, Provider } from '../../src/providers/types.js';
import type { NodeRecord } from '../../src/state/types.js';
import { type ClusterWorld, clusterWorld, readyAtFirstIp } from '../fakes/cluster-world.js';
import { type FakeGce, startFakeGce } from '../fakes/gce/index.js';
import type { FakeOpenStack } from '../fakes/openstack/index.js';
import * as gce from '../providers/gce/helpers.js';
import * as os from '../providers/openstack/helpers.js';
import { clusterState, kind, node, template } from '../ssh/fixtures.js';

const REF: ClusterRef = { name: 'life', id: '0a1b2c3d' };
let world: ClusterWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** Creates 1 frontend + 2 compute nodes, records them, pauses and resumes; returns what the cloud said. */
async function pauseAndResume(
  provider: Provider,
  cloud: CloudSection,
  request: (kind: string, count: number) => CreateNodesRequest,
  cloudStates: () => string[],
): Promise<{ paused: string[]; resumed: string[] }> {
  const nodes: NodeRecord[] = [];
  for (const [k, n] of [
    ['frontend', 1],
    ['compute', 2],
  ] as const) {
    const { created, failed } = await provider.createNodes(request(k, n));
    expect(failed).toEqual([]);
    for (const c of created)
      nodes.push(node(c.name, c.privateIps[0] ?? '192.0.2.1', { instanceId: c.instanceId }));
  }
  world = await clusterWorld({
    overrides: { createProvider: async () => provider, waitForSsh: readyAtFirstIp() },
  });
  const made = world;
  const tpl = template({
    cloud,
    kinds: [kind('frontend', ['slurm_master']), kind('compute', ['slurm_worker'])],
  });
  await made.deps.repo.save({ ...clusterState(nodes, tpl), name: REF.name, id: REF.id });
  // Nodes still booting when the pause comes are stopped all the same.
  await pauseCluster({ deps: made.deps, name: REF.name, cloud, terminateUnstoppable: false });
  const paused = cloudStates();
  expect((await made.deps.repo.load(REF.name)).nodes.map((n) => n.state)).toEqual([
    'stopped',
    'stopped',
    'stopped',
  ]);
  const result = await resumeCluster({ deps: made.deps, name: REF.name, template: tpl, setup: false });
  expect(result.started).toEqual(['frontend001', 'compute001', 'compute002']);
  expect((await made.deps.repo.load(REF.name)).pause).toBeUndefined();
  return { paused, resumed: cloudStates() };
}

describe('on Compute Engine (fake)', () => {
  let fake: FakeGce;
  beforeAll(async () => {
    fake = await startFakeGce({ internalSubnet: '10.87.9.0/24', runningDelayMs: 50 });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  it('instances.stop takes every instance to TERMINATED, instances.start back to RUNNING', async () => {
    const cloud = gce.gceCloud(fake.url);
    const provider = await createGceProvider(
      cloud,
      { storageDir: '/nonexistent', log: gce.recordingLogger() },
      { env: { GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token' } },
    );
    const states = () => fake.instances().map((i) => i.status);
    const { paused, resumed } = await pauseAndResume(
      provider,
      cloud,
      (k, n) => gce.createRequest(REF, k, n),
      states,
    );
    expect(paused).toEqual(['TERMINATED', 'TERMINATED', 'TERMINATED']);
    expect(resumed).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    expect(fake.calls['instances.stop']).toBe(3);
    expect(fake.calls['instances.start']).toBe(3);
    await provider.terminateNodes(
      REF,
      fake.instances().map((i) => i.name),
    );
  });
});

describe('on OpenStack (fake)', () => {
  let fake: FakeOpenStack;
  beforeAll(async () => {
    fake = await os.quickFake();
  });
  afterAll(async () => {
    await fake?.stop();
  });

  it('os-stop takes every server to SHUTOFF, os-start back to ACTIVE', async () => {
    const cloud = os.cloudSection(fake);
    const { provider } = await os.providerFor(cloud);
    await provider.prepare(REF, os.createRequest(REF, 'compute', 1).login);
    const states = () => fake.servers().map((s) => s.status);
    const { paused, resumed } = await pauseAndResume(
      provider,
      cloud,
      (k, n) => os.createRequest(REF, k, n),
      states,
    );
    expect(paused).toEqual(['SHUTOFF', 'SHUTOFF', 'SHUTOFF']);
    expect(resumed).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    await provider.terminateNodes(
      REF,
      fake.servers().map((s) => s.id),
    );
  });
});
