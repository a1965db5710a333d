/**
 * herd's OpenStack provider against the fake cloud: what it creates (servers, key pair, security
 * group, server groups, floating IPs, boot volumes), how it fails over, what it reports, and that
 * terminate + cleanup leave nothing it made.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import type { CreateNodesResult } from '../../../src/providers/types.js';
import type { FakeOpenStack } from '../../fakes/openstack/index.js';
import { cloudSection, cluster, createRequest, providerFor, publicKey, quickFake } from './helpers.js';

let fake: FakeOpenStack | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

/** Nothing herd creates is left on the cloud. */
function expectNothingLeft(f: FakeOpenStack): void {
  expect(f.servers()).toEqual([]);
  expect(f.ports()).toEqual([]);
  expect(f.floatingIps()).toEqual([]);
  expect(f.volumes()).toEqual([]);
  expect(f.keyPairs().filter((k) => k.name.startsWith('herd-'))).toEqual([]);
  expect(f.securityGroups().map((g) => g.name)).toEqual(['default']);
  expect(f.serverGroups()).toEqual([]);
}

async function waitRunning(
  provider: Awaited<ReturnType<typeof providerFor>>['provider'],
  name: string,
  ids: string[],
) {
  for (let i = 0; i < 200; i++) {
    const statuses = await provider.describeNodes(cluster(name), ids);
    if (statuses.every((s) => s.state === 'running')) return statuses;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('servers did not become running');
}

const ids = (r: CreateNodesResult) => r.created.map((c) => c.instanceId);

describe('creating and removing a cluster', () => {
  it('creates named, tagged servers with herd key pair and security group, and removes everything at stop', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    await provider.prepare(cluster('c1'), { user: 'debian', publicKey: publicKey(), keyName: undefined });
    expect(fake.keyPairs().map((k) => k.name)).toEqual(['herd-c1']);

    const result = await provider.createNodes(createRequest('c1', 'compute', 3));
    expect(result.failed).toEqual([]);
    expect(result.created.map((c) => c.name)).toEqual(['compute001', 'compute002', 'compute003']);
    expect(fake.calls['compute.servers.create']).toBe(3);
    for (const created of result.created) expect(created.privateIps[0]).toMatch(/^10\.120\.9\.\d+$/);

    const servers = fake.servers();
    expect(servers.map((s) => s.name).sort()).toEqual(['c1-compute001', 'c1-compute002', 'c1-compute003']);
    for (const s of servers) {
      expect(s.tags).toEqual(['herd:cluster=c1']);
      expect(s.metadata).toMatchObject({ herd_cluster: 'c1', herd_kind: 'compute', herd_run: 'run1' });
      expect(s.metadata['herd_node']).toBe(s.name.replace('c1-', ''));
      expect(s.key_name).toBe('herd-c1');
    }
    const group = fake.securityGroups().find((g) => g.name === 'herd-c1')!;
    expect(group.tags).toEqual(['herd:cluster=c1']);
    const ingress = fake
      .securityGroupRules()
      .filter((r) => r.security_group_id === group.id && r.direction === 'ingress');
    expect(
      ingress.map((r) => [r.protocol, r.port_range_min, r.remote_ip_prefix, r.remote_group_id]).sort(),
    ).toEqual(
      [
        ['tcp', 22, '0.0.0.0/0', null],
        [null, null, null, group.id],
      ].sort(),
    );
    for (const port of fake.ports()) expect(port.security_groups).toEqual([group.id]);

    const running = await waitRunning(provider, 'c1', ids(result));
    expect(running.map((s) => s.name)).toEqual(['compute001', 'compute002', 'compute003']);
    expect(running.every((s) => s.flavor === 'm1.small')).toBe(true);
    const found = await provider.findNodes(cluster('c1'));
    expect(found.map((s) => s.instanceId).sort()).toEqual(ids(result).sort());

    await provider.terminateNodes(cluster('c1'), ids(result));
    expect(await provider.findNodes(cluster('c1'))).toEqual([]);
    await provider.cleanup(cluster('c1'));
    expectNothingLeft(fake);
  });

  it('finds only servers whose metadata names the cluster, not others carrying its tag', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    const mine = await provider.createNodes(createRequest('c1', 'compute', 1));
    const other = await provider.createNodes(createRequest('c10', 'compute', 1));
    const token = await fake.token();
    const image = fake.images()[0]!.id;
    const network = fake.networks().find((n) => n.name === 'private')!.id;
    const response = await fetch(`${fake.url}/compute/v2.1/servers`, {
      method: 'POST',
      headers: {
        'x-auth-token': token,
        'content-type': 'application/json',
        'openstack-api-version': 'compute 2.52',
      },
      body: JSON.stringify({
        server: {
          name: 'intruder',
          imageRef: image,
          flavorRef: '1',
          networks: [{ uuid: network }],
          tags: ['herd:cluster=c1'],
          metadata: { herd_cluster: 'someone-else' },
        },
      }),
    });
    expect(response.status).toBe(202);
    const found = await provider.findNodes(cluster('c1'));
    expect(found.map((s) => s.instanceId)).toEqual(ids(mine));
    expect((await provider.findNodes(cluster('c10'))).map((s) => s.instanceId)).toEqual(ids(other));
  });

  it('stops and starts servers (os-stop, os-start); a server already stopped is no error', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    const result = await provider.createNodes(createRequest('c1', 'compute', 2));
    await waitRunning(provider, 'c1', ids(result));
    await provider.stopNodes!(cluster('c1'), ids(result));
    await expect
      .poll(async () => (await provider.describeNodes(cluster('c1'), ids(result))).map((s) => s.state))
      .toEqual(['stopped', 'stopped']);
    await provider.stopNodes!(cluster('c1'), ids(result));
    await provider.startNodes!(cluster('c1'), ids(result));
    await waitRunning(provider, 'c1', ids(result));
    expect(fake.calls['compute.servers.action']).toBe(6);
  });
});

describe('placement failover', () => {
  it('moves servers Nova cannot place ("No valid host") to the next availability zone, deleting the failed ones', async () => {
    fake = await quickFake({ zones: ['az1', 'az2'] });
    fake.failScheduling({ zone: 'az1' });
    const { provider, log } = await providerFor(cloudSection(fake, { availability_zone: 'az1,az2' }));
    const result = await provider.createNodes(createRequest('c1', 'compute', 2));
    expect(result.failed).toEqual([]);
    expect(fake.calls['compute.servers.create']).toBe(4);
    await expect.poll(() => fake!.servers().length).toBe(2);
    expect(fake.servers().map((s) => s['OS-EXT-AZ:availability_zone'])).toEqual(['az2', 'az2']);
    expect(log.warn.join('\n')).toMatch(
      /zone az1, network private has no room for 2 compute server\(s\) now \(No valid host was found.*\); trying zone az2/,
    );
  });

  it('fails with every placement tried and the keys to change when no zone has room', async () => {
    fake = await quickFake({ zones: ['az1', 'az2'] });
    fake.failScheduling({});
    const { provider } = await providerFor(cloudSection(fake), {});
    const result = await provider.createNodes(
      createRequest('c1', 'compute', 2, { availability_zone: 'az1,az2' }),
    );
    expect(result.created).toEqual([]);
    const error = result.failed[0]!.error as ProviderError;
    expect(error.code).toBe('OpenStackNoCapacity');
    expect(error.message).toMatch(
      /tried zone az1, network private \(No valid host.*\); zone az2, network private/,
    );
    expect(error.hint).toMatch(/availability_zone.*network_ids/);
    await expect.poll(() => fake!.servers().length).toBe(0);
  });

  it('tries the next network alternative of network_ids ("a|b") when one has no address left', async () => {
    fake = await quickFake({ extraNetworks: { tiny: '10.120.10.0/29' } });
    const { provider } = await providerFor(cloudSection(fake));
    const result = await provider.createNodes(
      createRequest('c1', 'compute', 5, { network_ids: 'tiny|private' }),
    );
    expect(result.failed).toEqual([]);
    const nets = result.created.map((c) => (c.privateIps[0]!.startsWith('10.120.10.') ? 'tiny' : 'private'));
    expect(nets.filter((n) => n === 'tiny')).toHaveLength(4);
    expect(nets.filter((n) => n === 'private')).toHaveLength(1);
  });

  it('starts a new anti-affinity server group when one is full', async () => {
    fake = await quickFake({ hostsPerZone: 2 });
    const { provider } = await providerFor(cloudSection(fake, { use_anti_affinity_groups: true }));
    const result = await provider.createNodes(createRequest('c1', 'compute', 5));
    expect(result.failed).toEqual([]);
    const groups = fake.serverGroups().sort((a, b) => a.name.localeCompare(b.name));
    expect(groups.map((g) => [g.name, g.policy, g.members.length])).toEqual([
      ['herd-c1-compute.1', 'anti-affinity', 2],
      ['herd-c1-compute.2', 'anti-affinity', 2],
      ['herd-c1-compute.3', 'anti-affinity', 1],
    ]);
    await provider.terminateNodes(cluster('c1'), ids(result));
    await provider.cleanup(cluster('c1'));
    expectNothingLeft(fake);
  });
});

describe('node settings', () => {
  it('boots from a volume of boot_disk_size and boot_disk_type that goes with the server', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    const result = await provider.createNodes(
      createRequest('c1', 'compute', 2, { boot_disk_size: 15, boot_disk_type: 'ssd' }),
    );
    expect(result.failed).toEqual([]);
    const create = fake.requests.find((r) => r.name === 'compute.servers.create')!;
    expect(create.microversion).toBe('2.67');
    const server = (create.body as { server: Record<string, unknown> }).server;
    expect(server['imageRef']).toBeUndefined();
    expect(server['block_device_mapping_v2']).toEqual([
      {
        boot_index: 0,
        uuid: fake.images().find((i) => i.name === 'debian-12')!.id,
        source_type: 'image',
        destination_type: 'volume',
        volume_size: 15,
        delete_on_termination: true,
        volume_type: 'ssd',
      },
    ]);
    expect(fake.volumes().map((v) => [v.size, v.volume_type, v.status])).toEqual([
      [15, 'ssd', 'in-use'],
      [15, 'ssd', 'in-use'],
    ]);
    await provider.terminateNodes(cluster('c1'), ids(result));
    expect(fake.volumes()).toEqual([]);
  });

  it('names boot_disk_type when the cloud knows no such volume type', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    const result = await provider.createNodes(
      createRequest('c1', 'compute', 1, { boot_disk_size: 15, boot_disk_type: 'gold' }),
    );
    const error = result.failed[0]!.error as ProviderError;
    expect(error.message).toMatch(
      /\[cluster\/c1\] boot_disk_type=gold \(kind compute\): .*Volume type gold could not be found/,
    );
    expect(error.hint).toMatch(/Check boot_disk_type for kind "compute" in \[cluster\/c1\]/);
  });

  it('gives running servers a floating IP (request_floating_ip) and releases it at terminate', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake, { request_floating_ip: true }));
    const result = await provider.createNodes(createRequest('c1', 'compute', 2));
    const running = await waitRunning(provider, 'c1', ids(result));
    const statuses = await provider.describeNodes(cluster('c1'), ids(result));
    for (const s of statuses) expect(s.publicIps[0]).toMatch(/^203\.0\.113\.\d+$/);
    expect(running.length).toBe(2);
    const fips = fake.floatingIps();
    expect(fips).toHaveLength(2);
    for (const f of fips) {
      expect(f.tags).toContain('herd:cluster=c1');
      expect(f.port_id).not.toBeNull();
    }
    const again = await provider.describeNodes(cluster('c1'), ids(result));
    expect(again.map((s) => s.publicIps)).toEqual(statuses.map((s) => s.publicIps));
    expect(fake.calls['network.floatingips.create']).toBe(2);
    await provider.terminateNodes(cluster('c1'), ids(result));
    await provider.cleanup(cluster('c1'));
    expectNothingLeft(fake);
  });

  it('passes image_userdata as base64 user data, and uses a named existing security group untouched', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    const result = await provider.createNodes(
      createRequest('c1', 'compute', 1, {
        image_userdata: '#!/bin/sh\necho hi\n',
        security_group: 'default',
      }),
    );
    expect(result.failed).toEqual([]);
    const body = fake.requests.find((r) => r.name === 'compute.servers.create')!.body as {
      server: Record<string, unknown>;
    };
    expect(Buffer.from(String(body.server['user_data']), 'base64').toString()).toBe('#!/bin/sh\necho hi\n');
    expect(fake.securityGroups().map((g) => g.name)).toEqual(['default']);
    await provider.terminateNodes(cluster('c1'), ids(result));
    await provider.cleanup(cluster('c1'));
    expect(fake.securityGroups().map((g) => g.name)).toEqual(['default']);
  });

  it('lists close matches for an unknown flavor and image, and asks for network_ids when several networks exist', async () => {
    fake = await quickFake({ extraNetworks: { storage: '10.120.11.0/24' } });
    const { provider } = await providerFor(cloudSection(fake));
    const flavor = await provider.createNodes(
      createRequest('c1', 'compute', 1, { flavor: 'm1.smal', network_ids: 'private' }),
    );
    expect(flavor.failed[0]!.error.message).toMatch(
      /\[cluster\/c1\] flavor=m1\.smal \(kind compute\): no flavor of that name or id\. Close matches: m1\.small/,
    );
    expect((flavor.failed[0]!.error as ProviderError).hint).toMatch(/openstack flavor list/);
    const image = await provider.createNodes(
      createRequest('c1', 'compute', 1, { image_id: 'debian12', network_ids: 'private' }),
    );
    expect(image.failed[0]!.error.message).toMatch(/image_id=debian12 .*Close matches: debian-12/);
    const network = await provider.createNodes(createRequest('c1', 'compute', 1));
    expect(network.failed[0]!.error.message).toMatch(
      /network_ids is not set and the project has 2 networks \(private, storage\)/,
    );
    expect(fake.calls['compute.servers.create']).toBeUndefined();
  });

  it('says a quota is project-wide and what to change', async () => {
    fake = await quickFake({ quota: { instances: 2 } });
    const { provider } = await providerFor(cloudSection(fake));
    const result = await provider.createNodes(createRequest('c1', 'compute', 3));
    expect(result.created).toHaveLength(2);
    const error = result.failed[0]!.error as ProviderError;
    expect(error.code).toBe('OpenStackQuotaExceeded');
    expect(error.message).toMatch(
      /Quota exceeded for instances: Requested 1, but already used 2 of 2 instances/,
    );
    expect(error.hint).toMatch(/lower compute_nodes or flavor.*openstack quota show/);
  });
});

describe('key pairs', () => {
  it('refuses a key pair of that name holding another key, naming both fingerprints', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    await provider.prepare(cluster('c1'), { user: 'u', publicKey: publicKey(), keyName: undefined });
    const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFq9S1nyYh2b7qf0lUdZbQ8k2dQ3Wl2aFZrDCm4UJg9t other';
    const error = await provider
      .prepare(cluster('c1'), { user: 'u', publicKey: other, keyName: undefined })
      .catch((e: unknown) => e);
    // The first prepare's result is cached per provider: a new provider checks again.
    const { provider: fresh } = await providerFor(cloudSection(fake));
    const mismatch = await fresh
      .prepare(cluster('c1'), { user: 'u', publicKey: other, keyName: undefined })
      .catch((e: unknown) => e);
    expect(error).toBeUndefined();
    expect(mismatch).toBeInstanceOf(ProviderError);
    expect((mismatch as ProviderError).code).toBe('OpenStackKeyPairMismatch');
    expect((mismatch as Error).message).toMatch(
      /Key pair "herd-c1" .* exists in Nova with another key \(fingerprint ([0-9a-f]{2}:){15}[0-9a-f]{2}; herd's key: /,
    );
    expect((mismatch as ProviderError).hint).toMatch(/openstack keypair delete herd-c1/);
  });

  it('never deletes the login user_key_name pair at cleanup', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    await provider.prepare(cluster('c1'), { user: 'u', publicKey: publicKey(), keyName: 'alice' });
    await provider.cleanup(cluster('c1'));
    expect(fake.keyPairs().map((k) => k.name)).toEqual(['alice']);
  });
});
