/**
 * The GCE code path end to end: herd talks to the fake Compute Engine v1 REST API (test/fakes/gce)
 * through @google-cloud/compute for bulkInsert, operations, list and delete; for each instance the
 * fake creates, a node farm boots a real node at its internal IP with the `ssh-keys` metadata (what
 * a GCE image's guest agent does). SSH, Ansible and Slurm are real; then resize and stop.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGce, type GceInstanceJson, startFakeGce } from '../fakes/gce/index.js';
import { createNodeFarm, type NodeFarm } from '../helpers/cloud-nodes.js';
import { createHerdHome, type HerdHome, slurmNodes, srunHostnames } from '../helpers/cluster.js';
import { gceSlurmConfig } from '../helpers/configs.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'herdgce0';
const SUBNET = '10.89.1.0/24';

function gceConfig(url: string): string {
  return gceSlurmConfig(url, {
    comment: 'herd end-to-end test: Google Compute Engine through the fake REST API',
  });
}

/** `user:key` lines of the instance's ssh-keys metadata. */
function sshKeys(instance: GceInstanceJson): { user: string; key: string }[] {
  const value = instance.metadata?.items?.find((i) => i.key === 'ssh-keys')?.value ?? '';
  return value
    .split('\n')
    .filter((l) => l.includes(':'))
    .map((l) => ({ user: l.slice(0, l.indexOf(':')), key: l.slice(l.indexOf(':') + 1).trim() }));
}

describe.skipIf(!canRunLocalNodes)('herd on GCE (fake Compute API + real nodes at the instances IPs)', () => {
  let fake: FakeGce;
  let farm: NodeFarm;
  let home: HerdHome;

  beforeAll(async () => {
    farm = await createNodeFarm({ bridge: BRIDGE, subnet: SUBNET });
    fake = await startFakeGce({ internalSubnet: SUBNET, runningDelayMs: 200 });
    // The fake reports RUNNING once the hook's promise settles, as GCE does once the VM has booted.
    fake.onInstanceInserted(async (instance) => {
      const [login] = sshKeys(instance);
      if (!login) throw new Error(`${instance.name} has no ssh-keys metadata`);
      await farm.boot({
        id: instance.name,
        hostname: instance.name,
        ip: instance.networkInterfaces[0]!.networkIP!,
        user: login.user,
        publicKey: login.key,
        userdata: instance.metadata?.items?.find((i) => i.key === 'startup-script')?.value,
      });
    });
    fake.onInstanceDeleted((instance) => farm.destroy(instance.name));
    home = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: gceConfig(fake.url) });
    home.env['GOOGLE_OAUTH_ACCESS_TOKEN'] = 'e2e-token';
  });

  afterAll(async () => {
    await home?.destroy();
    await fake?.stop();
    await farm?.teardown();
  });

  const sinfo = () => slurmNodes(home);

  it('starts 1+2 nodes with one bulkInsert per kind and configures a working Slurm', async () => {
    const start = await home.herd(['start', 'slurm']);
    expect(start.code, start.stdout + start.stderr).toBe(0);
    expect(farm.errors).toEqual([]);
    expect(fake.hookErrors).toEqual([]);
    expect(fake.calls['instances.bulkInsert']).toBe(2);
    expect(await sinfo()).toEqual(
      new Map([
        ['compute001', 'idle'],
        ['compute002', 'idle'],
      ]),
    );
    expect(await srunHostnames(home, 2)).toEqual(['compute001', 'compute002']);
  });

  it('labels every instance and keeps its internal IP', async () => {
    const instances = fake.instances();
    const { id } = JSON.parse(await readFile(join(home.storage, 'slurm.json'), 'utf8')) as { id: string };
    expect(instances.map((i) => i.name).sort()).toEqual([
      `slurm-${id}-compute001`,
      `slurm-${id}-compute002`,
      `slurm-${id}-frontend001`,
    ]);
    for (const i of instances) {
      expect(i.labels?.['herd-cluster']).toBe('slurm');
      expect(i.labels?.['herd-cluster-id']).toBe(id);
      expect(i.labels?.['herd-kind']).toBe(i.name.replace(`slurm-${id}-`, '').replace(/\d+$/, ''));
    }
    const nodes = await home.herd(['list-nodes', 'slurm', '-u', '--json']);
    expect(nodes.code, nodes.stderr).toBe(0);
    const state = JSON.parse(nodes.stdout) as {
      nodes: { name: string; state: string; privateIps: string[]; preferredIp: string }[];
    };
    for (const n of state.nodes) {
      expect(n.state).toBe('ready');
      const instance = instances.find((i) => i.name === `slurm-${id}-${n.name}`)!;
      expect(n.privateIps).toEqual([instance.networkInterfaces[0]!.networkIP]);
      expect(n.preferredIp).toBe(instance.networkInterfaces[0]!.networkIP);
    }
  });

  it('grows with resize -a 1:compute and shrinks back with resize -r', async () => {
    const grow = await home.herd(['resize', 'slurm', '-a', '1:compute']);
    expect(grow.code, grow.stdout + grow.stderr).toBe(0);
    expect((await sinfo()).get('compute003')).toBe('idle');
    expect(fake.instances()).toHaveLength(4);

    const shrink = await home.herd(['resize', 'slurm', '-r', '1:compute', '--yes']);
    expect(shrink.code, shrink.stdout + shrink.stderr).toBe(0);
    expect(shrink.stdout).toContain('Removed: compute003');
    expect([...(await sinfo()).keys()].sort()).toEqual(['compute001', 'compute002']);
    expect(fake.instances().map((i) => i.name)).not.toContainEqual(expect.stringMatching(/-compute003$/));
  });

  it('stop deletes every instance and forgets the cluster', async () => {
    const stop = await home.herd(['stop', 'slurm', '--yes']);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(fake.instances()).toEqual([]);
    expect(farm.ids()).toEqual([]);
    const list = await home.herd(['list', '--json']);
    expect(JSON.parse(list.stdout).clusters).toEqual([]);
  });
});
