import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterRef } from '../../../src/providers/types.js';
import { type FakeOpenStack, startFakeOpenStack } from '../../fakes/openstack/index.js';
import { type HerdInstall, hasStackTrace, herdInstall, makeTempDir } from '../../helpers/cli.js';
import { openstackSlurmConfig } from '../../helpers/configs.js';
import { killSpawnedHerds, spawnHerd } from '../../helpers/herd-process.js';
import { cloudSection, createRequest, NO_OS_ENV, providerFor } from './helpers.js';

const CLUSTER = 'slurm';

let fake: FakeOpenStack;
let root: { dir: string; cleanup: () => Promise<void> };
let a: HerdInstall;
let b: HerdInstall;

/** An install of its own under the test's directory, on the fake, with none of the machine's OS_* variables. */
const install = (name: string) =>
  herdInstall(
    join(root.dir, name),
    openstackSlurmConfig(fake.authUrl, { cloud: { use_anti_affinity_groups: 'yes' } }),
    NO_OS_ENV,
  );

/**
 * `herd start slurm --no-setup`, SIGKILLed at its first look at the servers after its three creates
 * (they never become ACTIVE, so that is herd polling them). Returns herd's stderr.
 */
async function startUntilCreated(who: HerdInstall): Promise<string> {
  fake.resetCalls();
  const run = spawnHerd(['start', CLUSTER, '--no-setup'], who.env, 120_000);
  let armed = true;
  fake.onRequest((r) => {
    if (
      armed &&
      r.name === 'compute.servers.list_detail' &&
      (fake.calls['compute.servers.create'] ?? 0) >= 3
    ) {
      armed = false;
      run.kill();
    }
  });
  const result = await run.done;
  expect(result.signal, result.stderr).toBe('SIGKILL');
  return result.stderr;
}

const serverNames = () =>
  fake
    .servers()
    .map((s) => s.name)
    .sort();

beforeAll(async () => {
  fake = await startFakeOpenStack({
    privateSubnet: '10.102.7.0/24',
    schedulingDelayMs: 20,
    spawnDelayMs: 3_600_000,
    deleteDelayMs: 20,
  });
  root = await makeTempDir('herd-os-identity-');
  a = await install('a');
  b = await install('b');
});

afterAll(async () => {
  await killSpawnedHerds();
  await fake?.stop();
  await root?.cleanup();
});

describe('two installs, one OpenStack project, one cluster name', () => {
  let aNames: string[] = [];
  let bNames: string[] = [];
  let ids: string[] = [];

  it('the second install creates its own servers and adopts none of the first', async () => {
    await startUntilCreated(a);
    aNames = serverNames();
    expect(aNames).toHaveLength(3);
    const stderr = await startUntilCreated(b);
    expect(stderr).not.toMatch(/Adopted/);
    expect(stderr).toMatch(/another herd cluster/);
    bNames = serverNames().filter((n) => !aNames.includes(n));
    expect(bNames).toHaveLength(3);

    ids = [await a.savedId(CLUSTER), await b.savedId(CLUSTER)];
    expect(ids[0]).not.toBe(ids[1]);
    for (const [names, id] of [
      [aNames, ids[0]!],
      [bNames, ids[1]!],
    ] as const) {
      expect(id).toMatch(/^[0-9a-f]{8}$/);
      expect(names).toEqual([`slurm-${id}-compute001`, `slurm-${id}-compute002`, `slurm-${id}-frontend001`]);
      for (const server of fake.servers().filter((s) => names.includes(s.name))) {
        expect(server.metadata['herd_cluster']).toBe(CLUSTER);
        expect(server.metadata['herd_cluster_id']).toBe(id);
        expect(server.tags).toEqual(['herd:cluster=slurm', `herd:id=${id}`]);
      }
    }
    expect(
      fake
        .keyPairs()
        .map((k) => k.name)
        .sort(),
    ).toEqual(ids.map((id) => `herd-slurm-${id}`).sort());
    const groups = fake.securityGroups().filter((g) => g.name !== 'default');
    expect(groups.map((g) => g.name).sort()).toEqual(ids.map((id) => `herd-slurm-${id}`).sort());
    for (const group of groups) expect(group.tags).toContain(`herd:id=${group.name.slice(-8)}`);
    expect(
      fake
        .serverGroups()
        .map((g) => g.name)
        .sort(),
    ).toEqual(ids.flatMap((id) => [`herd-slurm-${id}-compute.1`, `herd-slurm-${id}-frontend.1`]).sort());
  });

  it('list-nodes -u finds exactly its own servers, one record per node name, and names the others', async () => {
    const list = await a.herd(['list-nodes', CLUSTER, '-u', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(hasStackTrace(list.stderr)).toBe(false);
    const nodes = (JSON.parse(list.stdout) as { nodes: { name: string; instanceId?: string }[] }).nodes;
    const own = fake.servers().filter((s) => aNames.includes(s.name));
    expect(nodes.map((n) => n.instanceId).sort()).toEqual(own.map((s) => s.id).sort());
    expect(nodes.map((n) => n.name).sort()).toEqual(['compute001', 'compute002', 'frontend001']);
    for (const server of fake.servers().filter((s) => bNames.includes(s.name))) {
      expect(list.stderr).toContain(`${server.id} (${server.name}, cluster id ${ids[1]})`);
    }
  });

  it("stop deletes its own servers, key pair, security group and server groups, and none of the other's", async () => {
    const refused = await a.herd(['stop', CLUSTER]);
    expect(refused.code).toBe(2);
    const question = refused.stderr.slice(
      refused.stderr.indexOf('Terminate'),
      refused.stderr.indexOf('Refusing'),
    );
    for (const server of fake.servers()) {
      if (aNames.includes(server.name)) expect(question).toContain(server.id);
      else expect(question).not.toContain(server.id);
    }

    const stop = await a.herd(['stop', CLUSTER, '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(serverNames()).toEqual(bNames);
    expect(fake.keyPairs().map((k) => k.name)).toEqual([`herd-slurm-${ids[1]}`]);
    expect(
      fake
        .securityGroups()
        .map((g) => g.name)
        .sort(),
    ).toEqual(['default', `herd-slurm-${ids[1]}`]);
    expect(
      fake
        .serverGroups()
        .map((g) => g.name)
        .sort(),
    ).toEqual([`herd-slurm-${ids[1]}-compute.1`, `herd-slurm-${ids[1]}-frontend.1`]);

    const stopB = await b.herd(['stop', CLUSTER, '--yes']);
    expect(stopB.code, stopB.stderr).toBe(0);
    expect(fake.servers()).toEqual([]);
    expect(fake.keyPairs()).toEqual([]);
    expect(fake.securityGroups().map((g) => g.name)).toEqual(['default']);
    expect(fake.serverGroups()).toEqual([]);
  });
});

describe('a cluster from before cluster ids', () => {
  it('owns what carries its name and no id; a cluster of its name with an id keeps all of its own', async () => {
    const legacy: ClusterRef = { name: 'old', id: undefined };
    const newer: ClusterRef = { name: 'old', id: '5a5a5a5a' };
    const { provider, log } = await providerFor(cloudSection(fake, { use_anti_affinity_groups: true }));
    const mine = await provider.createNodes(createRequest(legacy, 'compute', 1));
    const theirs = await provider.createNodes(createRequest(newer, 'compute', 1));
    expect([...mine.failed, ...theirs.failed]).toEqual([]);
    const [mineId, theirsId] = [mine.created[0]!.instanceId, theirs.created[0]!.instanceId];
    expect(
      fake
        .keyPairs()
        .map((k) => k.name)
        .sort(),
    ).toEqual(['herd-old', 'herd-old-5a5a5a5a']);

    expect((await provider.findNodes(legacy)).map((s) => s.instanceId)).toEqual([mineId]);
    expect((await provider.findNodes(newer)).map((s) => s.instanceId)).toEqual([theirsId]);
    expect(log.warn.join('\n')).toContain(`${theirsId} (old-5a5a5a5a-compute001, cluster id 5a5a5a5a)`);
    expect(log.warn.join('\n')).toContain(`${mineId} (old-compute001, no cluster id)`);

    // Asked to delete the other's server (a hand-edited state), it deletes only its own.
    await provider.terminateNodes(legacy, [mineId, theirsId]);
    await provider.cleanup(legacy);
    expect(fake.servers().map((s) => s.id)).toEqual([theirsId]);
    expect(fake.keyPairs().map((k) => k.name)).toEqual(['herd-old-5a5a5a5a']);
    expect(
      fake
        .securityGroups()
        .map((g) => g.name)
        .sort(),
    ).toEqual(['default', 'herd-old-5a5a5a5a']);
    expect(fake.serverGroups().map((g) => g.name)).toEqual(['herd-old-5a5a5a5a-compute.1']);

    await provider.terminateNodes(newer, [theirsId]);
    await provider.cleanup(newer);
    expect(fake.servers()).toEqual([]);
    expect(fake.keyPairs()).toEqual([]);
    expect(fake.securityGroups().map((g) => g.name)).toEqual(['default']);
    expect(fake.serverGroups()).toEqual([]);
  });
});
