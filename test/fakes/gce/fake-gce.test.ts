/** The fake Compute Engine API, spoken to over plain HTTP as any client would. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGce, type GceInstanceJson, startFakeGce } from './index.js';

let fake: FakeGce;
const inserted: string[] = [];
const deleted: string[] = [];
const Z = 'us-central1-a';

beforeAll(async () => {
  fake = await startFakeGce({
    runningDelayMs: 600,
    externalIps: true,
    subnetworks: ['us-central1/default', 'us-central1/hpc'],
  });
  fake.onInstanceInserted((i) => {
    inserted.push(i.name);
  });
  fake.onInstanceDeleted((i) => {
    deleted.push(i.name);
  });
});
afterAll(async () => {
  await fake.stop();
});

const api = (path: string) => `${fake.url}/compute/v1/projects/herd-test/${path}`;

async function call(method: string, path: string, body?: unknown, token = 'tok') {
  const response = await fetch(api(path), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field.
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

const props = (extra: Record<string, unknown> = {}) => ({
  machineType: 'e2-small',
  disks: [
    {
      boot: true,
      autoDelete: true,
      initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' },
    },
  ],
  networkInterfaces: [{ network: 'global/networks/default' }],
  ...extra,
});
const bulk = (
  names: string[],
  extra: Record<string, unknown> = {},
  propsExtra: Record<string, unknown> = {},
) => ({
  count: String(names.length),
  perInstanceProperties: Object.fromEntries(names.map((n) => [n, {}])),
  instanceProperties: props(propsExtra),
  ...extra,
});

async function insert(names: string[], propsExtra: Record<string, unknown> = {}, zone = Z) {
  const r = await call('POST', `zones/${zone}/instances/bulkInsert`, bulk(names, {}, propsExtra));
  expect(r.status).toBe(200);
  const done = await call('POST', `zones/${zone}/operations/${r.json['name']}/wait`);
  expect(done.json['status']).toBe('DONE');
  return done.json;
}

describe('requests the API refuses', () => {
  it('refuses a request without a bearer token (401, Google error body)', async () => {
    const r = await fetch(api(`zones/${Z}/instances`));
    expect(r.status).toBe(401);
    const body = (await r.json()) as { error: { code: number; errors: unknown[] } };
    expect(body.error.code).toBe(401);
    expect(body.error.errors[0]).toMatchObject({ domain: 'global', reason: 'required' });
  });

  it.each<[string, unknown, number, string, RegExp]>([
    ['no count', { ...bulk(['a1']), count: undefined }, 400, 'required', /resource.count/],
    ['count 0', bulk(['a1'], { count: '0' }), 400, 'invalid', /resource.count/],
    ['minCount > count', bulk(['a1'], { minCount: '2' }), 400, 'invalid', /minCount/],
    [
      'no names',
      { count: '1', instanceProperties: props() },
      400,
      'invalid',
      /namePattern or perInstanceProperties/,
    ],
    ['count != names', bulk(['a1', 'a2'], { count: '3' }), 400, 'invalid', /must equal the number/],
    ['bad name', bulk(['Bad_Name']), 400, 'invalid', /regex/],
    ['name too long', bulk([`a${'b'.repeat(63)}`]), 400, 'invalid', /regex/],
    [
      'no instanceProperties',
      { count: '1', perInstanceProperties: { a1: {} } },
      400,
      'required',
      /instanceProperties/,
    ],
    ['no machineType', bulk(['a1'], {}, { machineType: undefined }), 400, 'required', /machineType/],
    [
      'machineType URL',
      bulk(['a1'], {}, { machineType: `zones/${Z}/machineTypes/e2-small` }),
      400,
      'invalid',
      /only accepts a machine type name/,
    ],
    [
      'unknown machineType',
      bulk(['a1'], {}, { machineType: 'e2-giant' }),
      400,
      'invalid',
      /does not exist in zone/,
    ],
    ['no disks', bulk(['a1'], {}, { disks: [] }), 400, 'invalid', /Boot disk must be specified/],
    [
      'boot disk not first',
      bulk(
        ['a1'],
        {},
        { disks: [{ type: 'SCRATCH', initializeParams: { diskType: 'local-ssd' } }, props().disks[0]] },
      ),
      400,
      'invalid',
      /first disk/,
    ],
    ['no sourceImage', bulk(['a1'], {}, { disks: [{ boot: true }] }), 400, 'required', /sourceImage/],
    [
      'unknown image',
      bulk(
        ['a1'],
        {},
        {
          disks: [
            {
              boot: true,
              initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-99' },
            },
          ],
        },
      ),
      404,
      'notFound',
      /family\/debian-99' was not found/,
    ],
    [
      'disk smaller than image',
      bulk(
        ['a1'],
        {},
        {
          disks: [
            {
              boot: true,
              initializeParams: {
                sourceImage: 'projects/rocky-linux-cloud/global/images/family/rocky-linux-9',
                diskSizeGb: '10',
              },
            },
          ],
        },
      ),
      400,
      'invalid',
      /smaller than the image size \(20 GB\)/,
    ],
    [
      'unknown disk type',
      bulk(
        ['a1'],
        {},
        {
          disks: [
            {
              boot: true,
              initializeParams: {
                sourceImage: 'projects/debian-cloud/global/images/family/debian-12',
                diskType: 'pd-fast',
              },
            },
          ],
        },
      ),
      404,
      'notFound',
      /diskTypes\/pd-fast/,
    ],
    [
      'no network interface',
      bulk(['a1'], {}, { networkInterfaces: [] }),
      400,
      'required',
      /networkInterfaces/,
    ],
    [
      'unknown network',
      bulk(['a1'], {}, { networkInterfaces: [{ network: 'global/networks/nope' }] }),
      404,
      'notFound',
      /networks\/nope/,
    ],
    [
      'bare network name',
      bulk(['a1'], {}, { networkInterfaces: [{ network: 'default' }] }),
      400,
      'invalid',
      /malformed/,
    ],
    [
      'subnetwork of another region',
      bulk(['a1'], {}, { networkInterfaces: [{ subnetwork: 'regions/europe-west1/subnetworks/default' }] }),
      400,
      'invalid',
      /region us-central1/,
    ],
    [
      'unknown subnetwork',
      bulk(['a1'], {}, { networkInterfaces: [{ subnetwork: 'regions/us-central1/subnetworks/x' }] }),
      404,
      'notFound',
      /subnetworks\/x/,
    ],
    ['label key uppercase', bulk(['a1'], {}, { labels: { Herd: 'x' } }), 400, 'invalid', /Label key 'Herd'/],
    [
      'label value with dot',
      bulk(['a1'], {}, { labels: { herd: 'a.b' } }),
      400,
      'invalid',
      /Label value 'a.b'/,
    ],
    ['bad network tag', bulk(['a1'], {}, { tags: { items: ['Web'] } }), 400, 'invalid', /tags.items\[0\]/],
    [
      'duplicate metadata key',
      bulk(
        ['a1'],
        {},
        {
          metadata: {
            items: [
              { key: 'a', value: '1' },
              { key: 'a', value: '2' },
            ],
          },
        },
      ),
      400,
      'invalid',
      /Duplicate/,
    ],
    [
      'preemptible restarting',
      bulk(['a1'], {}, { scheduling: { preemptible: true, automaticRestart: true } }),
      400,
      'invalid',
      /cannot be automatically restarted/,
    ],
    [
      'termination action without spot',
      bulk(['a1'], {}, { scheduling: { instanceTerminationAction: 'DELETE' } }),
      400,
      'invalid',
      /Only Spot VMs/,
    ],
    [
      'GPU with live migration',
      bulk(['a1'], {}, { guestAccelerators: [{ acceleratorType: 'nvidia-tesla-t4', acceleratorCount: 1 }] }),
      400,
      'invalid',
      /do not support live migration/,
    ],
    [
      'unknown GPU',
      bulk(
        ['a1'],
        {},
        {
          guestAccelerators: [{ acceleratorType: 'nvidia-x', acceleratorCount: 1 }],
          scheduling: { onHostMaintenance: 'TERMINATE' },
        },
      ),
      404,
      'notFound',
      /acceleratorTypes\/nvidia-x/,
    ],
    [
      'unknown CPU platform',
      bulk(['a1'], {}, { minCpuPlatform: 'Intel 8086' }),
      400,
      'invalid',
      /CPU platform/,
    ],
  ])('%s', async (_label, body, status, reason, message) => {
    const r = await call('POST', `zones/${Z}/instances/bulkInsert`, body);
    expect(r.status).toBe(status);
    expect(r.json['error'].errors[0].reason).toBe(reason);
    expect(r.json['error'].message).toMatch(message);
    expect(fake.instances()).toEqual([]);
  });

  it('refuses a malformed requestId, an unknown zone, another project', async () => {
    expect((await call('POST', `zones/${Z}/instances/bulkInsert?requestId=abc`, bulk(['a1']))).status).toBe(
      400,
    );
    expect((await call('GET', 'zones/mars-north1-a/instances')).json['error'].message).toMatch(
      /Unknown zone/,
    );
    const other = await fetch(`${fake.url}/compute/v1/projects/other/zones/${Z}/instances`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(other.status).toBe(404);
  });

  it('refuses a name that exists in the zone (409 alreadyExists), not in another zone', async () => {
    await insert(['dup-1']);
    const again = await call('POST', `zones/${Z}/instances/bulkInsert`, bulk(['dup-1']));
    expect(again.status).toBe(409);
    expect(again.json['error'].errors[0].reason).toBe('alreadyExists');
    await insert(['dup-1'], {}, 'us-central1-b');
    for (const zone of [Z, 'us-central1-b']) await call('DELETE', `zones/${zone}/instances/dup-1`);
    await waitFor(() => fake.instances().length === 0);
  });
});

describe('instances and operations', () => {
  it('creates from a bulkInsert, PROVISIONING -> STAGING -> RUNNING, and answers the published shapes', async () => {
    const op = await call(
      'POST',
      `zones/${Z}/instances/bulkInsert?requestId=0b1c2d3e-0000-4000-8000-000000000001`,
      bulk(
        ['life-1', 'life-2'],
        {},
        {
          labels: { herd: 'yes' },
          networkInterfaces: [
            {
              subnetwork: 'regions/us-central1/subnetworks/hpc',
              accessConfigs: [{ type: 'ONE_TO_ONE_NAT' }],
            },
          ],
        },
      ),
    );
    expect(op.json).toMatchObject({
      kind: 'compute#operation',
      operationType: 'bulkInsert',
      status: 'RUNNING',
    });
    expect(op.json['zone']).toMatch(/\/zones\/us-central1-a$/);
    expect(op.json['selfLink']).toContain(`/operations/${op.json['name']}`);
    const first = (await call('GET', `zones/${Z}/instances/life-1`)).json as GceInstanceJson;
    expect(first.status).toBe('PROVISIONING');
    expect(first.id).toMatch(/^\d+$/);
    expect(first.networkInterfaces[0]!.networkIP).toBe('10.87.1.2');
    expect(first.networkInterfaces[0]!.accessConfigs![0]!.natIP).toMatch(/^203\.0\.113\.\d+$/);
    expect(first.networkInterfaces[0]!.subnetwork).toMatch(/regions\/us-central1\/subnetworks\/hpc$/);
    expect(first.disks[0]).toMatchObject({ boot: true, diskSizeGb: '10', type: 'PERSISTENT' });
    const replay = await call(
      'POST',
      `zones/${Z}/instances/bulkInsert?requestId=0b1c2d3e-0000-4000-8000-000000000001`,
      bulk(['life-1', 'life-2']),
    );
    expect(replay.json['name']).toBe(op.json['name']);
    const done = await call('POST', `zones/${Z}/operations/${op.json['name']}/wait`);
    expect(done.json).toMatchObject({ status: 'DONE', progress: 100 });
    expect(done.json['instancesBulkInsertOperationMetadata'].perLocationStatus[`zones/${Z}`]).toMatchObject({
      createdVmCount: 2,
    });
    await waitFor(
      async () => (await call('GET', `zones/${Z}/instances/life-1`)).json['status'] === 'STAGING',
    );
    await waitFor(
      async () => (await call('GET', `zones/${Z}/instances/life-1`)).json['status'] === 'RUNNING',
    );
    expect(inserted).toEqual(expect.arrayContaining(['life-1', 'life-2']));

    const stop = await call('POST', `zones/${Z}/instances/life-1/stop`);
    expect((await call('GET', `zones/${Z}/instances/life-1`)).json['status']).toBe('STOPPING');
    await call('POST', `zones/${Z}/operations/${stop.json['name']}/wait`);
    const stopped = (await call('GET', `zones/${Z}/instances/life-1`)).json as GceInstanceJson;
    expect(stopped.status).toBe('TERMINATED');
    expect(stopped.networkInterfaces[0]!.accessConfigs![0]!.natIP).toBeUndefined();
    const start = await call('POST', `zones/${Z}/instances/life-1/start`);
    await call('POST', `zones/${Z}/operations/${start.json['name']}/wait`);
    expect((await call('GET', `zones/${Z}/instances/life-1`)).json['status']).toBe('RUNNING');

    for (const name of ['life-1', 'life-2']) {
      const del = await call('DELETE', `zones/${Z}/instances/${name}`);
      expect(del.json['operationType']).toBe('delete');
      await call('POST', `zones/${Z}/operations/${del.json['name']}/wait`);
    }
    expect(deleted).toEqual(expect.arrayContaining(['life-1', 'life-2']));
    expect((await call('GET', `zones/${Z}/instances/life-1`)).status).toBe(404);
    expect((await call('DELETE', `zones/${Z}/instances/life-1`)).status).toBe(404);
    expect(fake.calls['instances.bulkInsert']).toBeGreaterThan(0);
    expect(fake.calls['zoneOperations.wait']).toBeGreaterThan(0);
  });

  it('ends an operation with a capacity error and creates nothing; an HTTP fault refuses the request', async () => {
    fake.failBulkInsert({ zone: Z, code: 'ZONE_RESOURCE_POOL_EXHAUSTED', times: 1 });
    const op = await call('POST', `zones/${Z}/instances/bulkInsert`, bulk(['cap-1']));
    expect(op.status).toBe(200);
    const done = await call('POST', `zones/${Z}/operations/${op.json['name']}/wait`);
    expect(done.json['error'].errors[0].code).toBe('ZONE_RESOURCE_POOL_EXHAUSTED');
    expect(done.json['httpErrorStatusCode']).toBe(503);
    expect(fake.instances()).toEqual([]);
    fake.failRequests({ method: 'instances.list', status: 503, reason: 'backendError' });
    expect((await call('GET', `zones/${Z}/instances`)).status).toBe(503);
    expect((await call('GET', `zones/${Z}/instances`)).status).toBe(200);
  });
});

describe('list: filters and pages', () => {
  beforeAll(async () => {
    await insert(['f-a1', 'f-a2', 'f-a3'], { labels: { 'herd-cluster': 'a', 'herd-kind': 'compute' } });
    await insert(['f-b1'], { labels: { 'herd-cluster': 'b', 'herd-kind': 'frontend' } });
  });

  const names = async (filter: string, extra = '') => {
    const r = await call('GET', `zones/${Z}/instances?filter=${encodeURIComponent(filter)}${extra}`);
    expect(r.status).toBe(200);
    return ((r.json['items'] ?? []) as GceInstanceJson[]).map((i) => i.name);
  };

  it.each([
    ['labels.herd-cluster = "a"', ['f-a1', 'f-a2', 'f-a3']],
    ['labels.herd-cluster = a', ['f-a1', 'f-a2', 'f-a3']],
    ['(labels.herd-cluster = "a") (name = "f-a2")', ['f-a2']],
    ['(labels.herd-cluster = "a") AND (name != "f-a2")', ['f-a1', 'f-a3']],
    ['(name = "f-a1") OR (labels.herd-kind = "frontend")', ['f-a1', 'f-b1']],
    ['labels.herd-kind:*', ['f-a1', 'f-a2', 'f-a3', 'f-b1']],
    ['labels.herd-cluster = "c"', []],
    ["name eq 'f-a[12]'", ['f-a1', 'f-a2']],
  ])('%s', async (filter, expected) => {
    expect(await names(filter)).toEqual(expected);
  });

  it('refuses a malformed filter or mixed regular-expression and comparison syntax', async () => {
    for (const filter of ['labels.a =', '(name = "x"', 'name eq x (labels.a = b)']) {
      const r = await call('GET', `zones/${Z}/instances?filter=${encodeURIComponent(filter)}`);
      expect(r.status).toBe(400);
      expect(r.json['error'].message).toMatch(/Invalid value for field 'filter'/);
    }
  });

  it('pages with maxResults and nextPageToken, and refuses maxResults over 500', async () => {
    const page1 = await call('GET', `zones/${Z}/instances?maxResults=3`);
    expect(page1.json['items'].map((i: GceInstanceJson) => i.name)).toEqual(['f-a1', 'f-a2', 'f-a3']);
    expect(page1.json['kind']).toBe('compute#instanceList');
    const page2 = await call(
      'GET',
      `zones/${Z}/instances?maxResults=3&pageToken=${page1.json['nextPageToken']}`,
    );
    expect(page2.json['items'].map((i: GceInstanceJson) => i.name)).toEqual(['f-b1']);
    expect(page2.json['nextPageToken']).toBeUndefined();
    expect((await call('GET', `zones/${Z}/instances?maxResults=501`)).status).toBe(400);
    expect((await call('GET', `zones/${Z}/instances?pageToken=garbage`)).status).toBe(400);
  });
});

describe('catalog', () => {
  it('serves public image families, images and machine types', async () => {
    const family = await fetch(
      `${fake.url}/compute/v1/projects/debian-cloud/global/images/family/debian-12`,
      {
        headers: { authorization: 'Bearer t' },
      },
    );
    const image = (await family.json()) as Record<string, string>;
    expect(image).toMatchObject({ kind: 'compute#image', family: 'debian-12', status: 'READY' });
    const byName = await fetch(
      `${fake.url}/compute/v1/projects/debian-cloud/global/images/${image['name']}`,
      {
        headers: { authorization: 'Bearer t' },
      },
    );
    expect(byName.status).toBe(200);
    const mt = await call('GET', `zones/${Z}/machineTypes/n2-standard-8`);
    expect(mt.json).toMatchObject({ name: 'n2-standard-8', guestCpus: 8 });
    expect((await call('GET', `zones/${Z}/machineTypes/n9-x`)).status).toBe(404);
  });

  it('serves zones, and regions with quotas whose usage follows the instances', async () => {
    const zone = await call('GET', `zones/${Z}`);
    expect(zone.json).toMatchObject({ kind: 'compute#zone', name: Z, status: 'UP' });
    expect(zone.json['region']).toMatch(/\/projects\/herd-test\/regions\/us-central1$/);
    expect((await call('GET', 'zones/mars-north1-a')).status).toBe(404);
    const cpus = async () =>
      (await call('GET', 'regions/us-central1')).json['quotas'].find(
        (q: { metric: string }) => q.metric === 'CPUS',
      ) as { limit: number; usage: number };
    const before = await cpus();
    expect(before.limit).toBe(24);
    await insert(['quota1'], { machineType: 'e2-standard-4' });
    expect((await cpus()).usage).toBe(before.usage + 4);
    const region = await call('GET', 'regions/us-central1');
    expect(region.json).toMatchObject({ kind: 'compute#region', name: 'us-central1', status: 'UP' });
    expect(region.json['zones']).toContain(
      `https://www.googleapis.com/compute/v1/projects/herd-test/zones/${Z}`,
    );
    expect((await call('GET', 'regions/mars-north1')).status).toBe(404);
  });
});

async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
