/** The fake OpenStack cloud, spoken to over plain HTTP as any client would. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenStack, startFakeOpenStack } from './index.js';

let fake: FakeOpenStack;
let token: string;
let image: string;
let network: string;
/** When set, a spawning server turns ACTIVE only once this resolves. */
let gate: ((server: import('./types.js').ServerJson) => Promise<void>) | undefined;

beforeAll(async () => {
  fake = await startFakeOpenStack({
    privateSubnet: '10.120.4.0/24',
    schedulingDelayMs: 20,
    spawnDelayMs: 20,
    deleteDelayMs: 20,
    maxPageSize: 1000,
  });
  token = await fake.token();
  fake.onServerSpawning((s) => gate?.(s));
  image = fake.images().find((i) => i.name === 'debian-12')!.id;
  network = fake.networks().find((n) => n.name === 'private')!.id;
});

afterAll(async () => {
  await fake.stop();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { 'x-auth-token': token, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field.
  return { status: response.status, json: json as any, text, headers: response.headers };
}

const nova = (v: string) => ({ 'openstack-api-version': `compute ${v}` });
const server = (extra: Record<string, unknown> = {}) => ({
  // Placeholders while the table is built (before beforeAll); replaced when the request is sent.
  server: {
    name: 'vm',
    imageRef: image ?? 'IMG',
    flavorRef: '2',
    networks: [{ uuid: network ?? 'NET' }],
    ...extra,
  },
});

async function until(path: string, done: (json: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 100; i++) {
    const r = await call('GET', path, undefined, nova('2.67'));
    if (done(r.json)) return r.json;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} never reached the wanted state`);
}

describe('Keystone', () => {
  it('answers a token with its catalog: every service, three interfaces, one region', async () => {
    const issued = await call('POST', '/v3/auth/tokens', {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'herd', domain: { name: 'Default' }, password: 'secret' } },
        },
        scope: { project: { name: 'herd-project', domain: { id: 'default' } } },
      },
    });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('x-subject-token')).toMatch(/^gAAAAA/);
    const r = await call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': token });
    expect(r.status).toBe(200);
    const catalog = r.json.token.catalog as {
      type: string;
      endpoints: { interface: string; region: string; url: string }[];
    }[];
    expect(catalog.map((s) => s.type).sort()).toEqual([
      'block-storage',
      'compute',
      'identity',
      'image',
      'network',
      'volumev3',
    ]);
    const compute = catalog.find((s) => s.type === 'compute')!;
    expect(compute.endpoints.map((e) => [e.interface, e.region, e.url.replace(fake.url, '')])).toEqual([
      ['public', 'RegionOne', '/compute/v2.1'],
      ['internal', 'RegionOne', '/internal/compute/v2.1'],
      ['admin', 'RegionOne', '/admin/compute/v2.1'],
    ]);
    expect(r.json.token.project.name).toBe('herd-project');
    expect(Date.parse(r.json.token.expires_at)).toBeGreaterThan(Date.now());
  });

  it.each([
    ['wrong password', { user: { name: 'herd', domain: { id: 'default' }, password: 'nope' } }, 401],
    ['unknown domain', { user: { name: 'herd', domain: { name: 'Other' }, password: 'secret' } }, 401],
    ['no domain for a user name', { user: { name: 'herd', password: 'secret' } }, 400],
  ])('refuses a %s', async (_label, password, status) => {
    const r = await call('POST', '/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password } },
    });
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(status);
    expect(typeof r.json.error.message).toBe('string');
  });

  it('answers every service without a token with 401 in keystonemiddleware format', async () => {
    const r = await fetch(`${fake.url}/network/v2.0/networks`);
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({
      error: {
        code: 401,
        title: 'Unauthorized',
        message: 'The request you have made requires authentication.',
      },
    });
  });
});

describe('Nova', () => {
  it('negotiates the microversion: 2.1 by default, echoes it, refuses one out of range with 406', async () => {
    const plain = await call('GET', '/compute/v2.1/flavors/detail');
    expect(plain.headers.get('openstack-api-version')).toBe('compute 2.1');
    expect(plain.headers.get('x-openstack-nova-api-version')).toBe('2.1');
    const latest = await call('GET', '/compute/v2.1/flavors/detail', undefined, {
      'x-openstack-nova-api-version': 'latest',
    });
    expect(latest.headers.get('openstack-api-version')).toBe('compute 2.96');
    const tooNew = await call('GET', '/compute/v2.1/flavors/detail', undefined, nova('2.200'));
    expect(tooNew.status).toBe(406);
    expect(tooNew.json.notAcceptable.message).toBe(
      'Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.96.',
    );
    const doc = await call('GET', '/compute/v2.1/');
    expect(doc.json.version).toMatchObject({
      id: 'v2.1',
      version: '2.96',
      min_version: '2.1',
      status: 'CURRENT',
    });
  });

  it.each<[string, unknown, string, number, RegExp]>([
    [
      'networks missing at 2.37',
      { server: { name: 'vm', imageRef: 'x', flavorRef: '2' } },
      '2.37',
      400,
      /'networks' is a required property/,
    ],
    [
      'tags before 2.52',
      server({ tags: ['a'] }),
      '2.51',
      400,
      /Additional properties are not allowed \('tags' was unexpected\)/,
    ],
    ['a tag with a slash', server({ tags: ['a/b'] }), '2.52', 400, /does not match/],
    ['unknown flavor', server({ flavorRef: '99' }), '2.67', 400, /Flavor 99 could not be found\./],
    ['an image name', server({ imageRef: 'debian-12' }), '2.67', 400, /Invalid imageRef provided\./],
    ['unknown key pair', server({ key_name: 'nokey' }), '2.67', 400, /Invalid key_name provided\./],
    [
      'unknown zone',
      server({ availability_zone: 'az9' }),
      '2.67',
      400,
      /The requested availability zone is not available/,
    ],
    [
      'user data not base64',
      server({ user_data: 'not base64!' }),
      '2.67',
      400,
      /User data needs to be valid base 64\./,
    ],
    [
      'unknown security group',
      server({ security_groups: [{ name: 'nosuch' }] }),
      '2.67',
      400,
      /Security group nosuch not found\./,
    ],
    [
      'an external network',
      server({ networks: [{ uuid: 'EXT' }] }),
      '2.67',
      403,
      /not allowed to create an interface on external network/,
    ],
    [
      'volume_type before 2.67',
      server({
        imageRef: '',
        block_device_mapping_v2: [
          {
            boot_index: 0,
            uuid: 'IMG',
            source_type: 'image',
            destination_type: 'volume',
            volume_size: 5,
            volume_type: 'ssd',
          },
        ],
      }),
      '2.66',
      400,
      /Additional properties are not allowed \('volume_type' was unexpected\)/,
    ],
  ])('refuses a create with %s', async (_label, body, version, status, message) => {
    const external = fake.networks().find((n) => n.external)!.id;
    const text = JSON.stringify(body)
      .replaceAll('"EXT"', JSON.stringify(external))
      .replaceAll('"IMG"', JSON.stringify(image))
      .replaceAll('"NET"', JSON.stringify(network));
    const r = await call('POST', '/compute/v2.1/servers', JSON.parse(text), nova(version));
    expect(r.status).toBe(status);
    const kind = status === 403 ? 'forbidden' : 'badRequest';
    expect(r.json[kind].code).toBe(status);
    expect(r.json[kind].message).toMatch(message);
    expect(fake.servers()).toEqual([]);
  });

  it('takes a server through BUILD (spawning) to ACTIVE once its guest has booted; delete removes its port', async () => {
    let release: () => void = () => {};
    const booted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const spawning: string[] = [];
    gate = async (s) => {
      spawning.push(`${s.status}/${s['OS-EXT-STS:task_state']}`);
      await booted;
    };
    const created = await call(
      'POST',
      '/compute/v2.1/servers',
      server({ tags: ['t1'], metadata: { k: 'v' } }),
      nova('2.67'),
    );
    expect(created.status).toBe(202);
    const id = created.json.server.id as string;
    await until(
      `/compute/v2.1/servers/${id}`,
      (j) => (j['server'] as { 'OS-EXT-STS:task_state': string })['OS-EXT-STS:task_state'] === 'spawning',
    );
    const held = await call('GET', `/compute/v2.1/servers/${id}`, undefined, nova('2.67'));
    expect(held.json.server).toMatchObject({
      status: 'BUILD',
      'OS-EXT-STS:vm_state': 'building',
      tags: ['t1'],
      metadata: { k: 'v' },
    });
    expect(spawning).toEqual(['BUILD/spawning']);
    release();
    const active = (await until(
      `/compute/v2.1/servers/${id}`,
      (j) => (j['server'] as { status: string }).status === 'ACTIVE',
    )) as {
      server: {
        addresses: Record<string, { addr: string; 'OS-EXT-IPS:type': string }[]>;
        flavor: Record<string, unknown>;
        'OS-EXT-STS:task_state': null;
      };
    };
    gate = undefined;
    expect(active.server['OS-EXT-STS:task_state']).toBeNull();
    expect(active.server.addresses['private']).toEqual([
      expect.objectContaining({ addr: '10.120.4.2', 'OS-EXT-IPS:type': 'fixed' }),
    ]);
    expect(active.server.flavor).toMatchObject({ original_name: 'm1.small', vcpus: 1 });
    expect(fake.ports().map((p) => p.device_id)).toEqual([id]);
    const deleted = await call('DELETE', `/compute/v2.1/servers/${id}`, undefined, nova('2.67'));
    expect(deleted.status).toBe(204);
    await until(`/compute/v2.1/servers/detail`, (j) => (j['servers'] as unknown[]).length === 0);
    expect(fake.ports()).toEqual([]);
    const gone = await call('GET', `/compute/v2.1/servers/${id}`, undefined, nova('2.67'));
    expect(gone.status).toBe(404);
    expect(gone.json.itemNotFound.message).toBe(`Instance ${id} could not be found.`);
  });

  it('puts a server Nova cannot place into ERROR with a fault', async () => {
    fake.failScheduling({ times: 1 });
    const created = await call('POST', '/compute/v2.1/servers', server(), nova('2.67'));
    const id = created.json.server.id as string;
    const failed = (await until(
      `/compute/v2.1/servers/${id}`,
      (j) => (j['server'] as { status: string }).status === 'ERROR',
    )) as {
      server: { fault: { code: number; message: string }; 'OS-EXT-STS:vm_state': string };
    };
    expect(failed.server.fault).toMatchObject({
      code: 500,
      message: 'No valid host was found. There are not enough hosts available.',
    });
    expect(failed.server['OS-EXT-STS:vm_state']).toBe('error');
    await call('DELETE', `/compute/v2.1/servers/${id}`);
    await until('/compute/v2.1/servers/detail', (j) => (j['servers'] as unknown[]).length === 0);
  });

  it('pages server lists with servers_links and filters by tags (from 2.26)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(
        'POST',
        '/compute/v2.1/servers',
        server({ name: `p${i}`, tags: i < 3 ? ['mine'] : ['other'] }),
        nova('2.67'),
      );
      ids.push(r.json.server.id);
    }
    const page1 = await call(
      'GET',
      '/compute/v2.1/servers/detail?limit=2&tags=mine',
      undefined,
      nova('2.67'),
    );
    expect(page1.json.servers).toHaveLength(2);
    const next = new URL(page1.json.servers_links[0].href);
    const page2 = await call('GET', `/compute/v2.1/servers/detail${next.search}`, undefined, nova('2.67'));
    expect(page2.json.servers).toHaveLength(1);
    expect(
      [...page1.json.servers, ...page2.json.servers].map((s: { name: string }) => s.name).sort(),
    ).toEqual(['p0', 'p1', 'p2']);
    const old = await call('GET', '/compute/v2.1/servers/detail?tags=mine', undefined, nova('2.25'));
    expect(old.json.servers).toHaveLength(5);
    for (const id of ids) await call('DELETE', `/compute/v2.1/servers/${id}`);
    await until('/compute/v2.1/servers/detail', (j) => (j['servers'] as unknown[]).length === 0);
  });

  it('deletes a boot volume with the server only when delete_on_termination is set', async () => {
    const bdm = (del: boolean) =>
      server({
        imageRef: undefined,
        block_device_mapping_v2: [
          {
            boot_index: 0,
            uuid: image,
            source_type: 'image',
            destination_type: 'volume',
            volume_size: 5,
            delete_on_termination: del,
          },
        ],
      });
    const a = await call('POST', '/compute/v2.1/servers', bdm(true), nova('2.67'));
    const b = await call('POST', '/compute/v2.1/servers', bdm(false), nova('2.67'));
    await until('/compute/v2.1/servers/detail', (j) =>
      (j['servers'] as { status: string }[]).every((s) => s.status === 'ACTIVE'),
    );
    const volumes = await call('GET', `/volume/v3/${fake.projectId}/volumes/detail`);
    expect(volumes.json.volumes.map((v: { status: string; size: number }) => [v.status, v.size])).toEqual([
      ['in-use', 5],
      ['in-use', 5],
    ]);
    await call('DELETE', `/compute/v2.1/servers/${a.json.server.id}`);
    await call('DELETE', `/compute/v2.1/servers/${b.json.server.id}`);
    await until('/compute/v2.1/servers/detail', (j) => (j['servers'] as unknown[]).length === 0);
    const left = await call('GET', `/volume/v3/${fake.projectId}/volumes/detail`);
    expect(left.json.volumes.map((v: { status: string }) => v.status)).toEqual(['available']);
    expect(
      (await call('DELETE', `/volume/v3/${fake.projectId}/volumes/${left.json.volumes[0].id}`)).status,
    ).toBe(202);
  });
});

describe('Neutron and Glance', () => {
  it('answers errors as NeutronError and Glance HTML', async () => {
    const missing = await call('GET', '/network/v2.0/networks/nosuch');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      NeutronError: { type: 'NetworkNotFound', message: 'Network nosuch could not be found.', detail: '' },
    });
    const image404 = await call('GET', '/image/v2/images/nosuch');
    expect(image404.status).toBe(404);
    expect(image404.headers.get('content-type')).toMatch(/text\/html/);
    expect(image404.text).toContain('No image found with ID nosuch');
  });

  it('keeps security group rules unique and refuses to delete a group in use', async () => {
    const group = await call('POST', '/network/v2.0/security-groups', {
      security_group: { name: 'g1', description: 'test' },
    });
    expect(group.status).toBe(201);
    expect(
      group.json.security_group.security_group_rules.map((r: { direction: string }) => r.direction),
    ).toEqual(['egress', 'egress']);
    const id = group.json.security_group.id as string;
    const rule = {
      security_group_rule: {
        security_group_id: id,
        direction: 'ingress',
        protocol: 'tcp',
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefix: '0.0.0.0/0',
      },
    };
    expect((await call('POST', '/network/v2.0/security-group-rules', rule)).status).toBe(201);
    const dup = await call('POST', '/network/v2.0/security-group-rules', rule);
    expect(dup.status).toBe(409);
    expect(dup.json.NeutronError.type).toBe('SecurityGroupRuleExists');
    const both = await call('POST', '/network/v2.0/security-group-rules', {
      security_group_rule: {
        security_group_id: id,
        direction: 'ingress',
        remote_ip_prefix: '10.0.0.0/8',
        remote_group_id: id,
      },
    });
    expect(both.json.NeutronError.type).toBe('SecurityGroupRemoteGroupAndRemoteIpPrefix');
    const vm = await call(
      'POST',
      '/compute/v2.1/servers',
      server({ security_groups: [{ name: id }] }),
      nova('2.67'),
    );
    await until('/compute/v2.1/servers/detail', (j) =>
      (j['servers'] as { status: string }[]).every((s) => s.status === 'ACTIVE'),
    );
    const busy = await call('DELETE', `/network/v2.0/security-groups/${id}`);
    expect(busy.status).toBe(409);
    expect(busy.json.NeutronError.type).toBe('SecurityGroupInUse');
    await call('DELETE', `/compute/v2.1/servers/${vm.json.server.id}`);
    await until('/compute/v2.1/servers/detail', (j) => (j['servers'] as unknown[]).length === 0);
    expect((await call('DELETE', `/network/v2.0/security-groups/${id}`)).status).toBe(204);
  });

  it('filters by tags, associates floating IPs with ports and shows them in the server addresses', async () => {
    const external = fake.networks().find((n) => n.external)!.id;
    const vm = await call('POST', '/compute/v2.1/servers', server(), nova('2.67'));
    const id = vm.json.server.id as string;
    await until(
      `/compute/v2.1/servers/${id}`,
      (j) => (j['server'] as { status: string }).status === 'ACTIVE',
    );
    const ports = await call('GET', `/network/v2.0/ports?device_id=${id}&device_id=other`);
    expect(ports.json.ports).toHaveLength(1);
    const fip = await call('POST', '/network/v2.0/floatingips', {
      floatingip: { floating_network_id: external, port_id: ports.json.ports[0].id },
    });
    expect(fip.status).toBe(201);
    const address = fip.json.floatingip.floating_ip_address as string;
    await call('PUT', `/network/v2.0/floatingips/${fip.json.floatingip.id}/tags`, {
      tags: ['herd:cluster=x'],
    });
    expect(
      (await call('GET', '/network/v2.0/floatingips?tags=herd:cluster=x')).json.floatingips,
    ).toHaveLength(1);
    expect(
      (await call('GET', '/network/v2.0/floatingips?tags=herd:cluster=y')).json.floatingips,
    ).toHaveLength(0);
    const shown = await call('GET', `/compute/v2.1/servers/${id}`, undefined, nova('2.67'));
    expect(
      shown.json.server.addresses.private.map((a: { addr: string; 'OS-EXT-IPS:type': string }) => [
        a.addr,
        a['OS-EXT-IPS:type'],
      ]),
    ).toEqual([
      [expect.stringMatching(/^10\.120\.4\./), 'fixed'],
      [address, 'floating'],
    ]);
    const internal = await call('POST', '/network/v2.0/floatingips', {
      floatingip: { floating_network_id: network },
    });
    expect(internal.json.NeutronError.message).toMatch(/is not a valid external network/);
    await call('DELETE', `/compute/v2.1/servers/${id}`);
    await until('/compute/v2.1/servers/detail', (j) => (j['servers'] as unknown[]).length === 0);
    const after = await call('GET', `/network/v2.0/floatingips/${fip.json.floatingip.id}`);
    expect(after.json.floatingip).toMatchObject({ port_id: null, status: 'DOWN' });
    await call('DELETE', `/network/v2.0/floatingips/${fip.json.floatingip.id}`);
  });

  it('pages Neutron lists with <collection>_links and Glance lists with next', async () => {
    const nets = await call('GET', '/network/v2.0/networks?limit=1');
    expect(nets.json.networks).toHaveLength(1);
    expect(nets.json.networks_links[0].rel).toBe('next');
    const images = await call('GET', '/image/v2/images?limit=1');
    expect(images.json.images).toHaveLength(1);
    expect(images.json.next).toMatch(/^\/v2\/images\?limit=1&marker=/);
    const named = await call('GET', '/image/v2/images?name=debian-12');
    expect(named.json.images.map((i: { id: string }) => i.id)).toEqual([image]);
  });
});

describe('fault injection and call counting', () => {
  it('fails the chosen operation with the status, message and Retry-After asked for, then recovers', async () => {
    fake.resetCalls();
    fake.failRequests({ match: 'compute.flavors.list_detail', status: 503, retryAfter: 2, message: 'busy' });
    const failed = await call('GET', '/compute/v2.1/flavors/detail');
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    expect(failed.json).toEqual({ serviceUnavailable: { code: 503, message: 'busy' } });
    expect((await call('GET', '/compute/v2.1/flavors/detail')).status).toBe(200);
    expect(fake.calls['compute.flavors.list_detail']).toBe(2);
  });
});
