/** The GCE provider against the fake Compute Engine API (real SDK, real HTTP on loopback). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { createGceProvider } from '../../../src/providers/gce/index.js';
import type { ClusterRef, Provider } from '../../../src/providers/types.js';
import { type FakeGce, type GceInstanceJson, startFakeGce } from '../../fakes/gce/index.js';
import { createRequest, gceCloud, recordingLogger, ref, withEnv } from './helpers.js';

const env = { GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token' };
let fake: FakeGce;
const providers: Provider[] = [];

beforeAll(async () => {
  fake = await startFakeGce({ internalSubnet: '10.87.1.0/24', runningDelayMs: 100 });
});
afterAll(async () => {
  await fake.stop();
});
afterEach(async () => {
  // Every test leaves the fake empty for the next one.
  for (const p of providers.splice(0)) {
    const clusterOf = (i: GceInstanceJson) =>
      `${i.metadata.items?.find((m) => m.key === 'herd-cluster')?.value ?? ''}/${i.labels?.['herd-cluster-id'] ?? ''}`;
    for (const key of new Set(fake.instances().map(clusterOf))) {
      const [name, id] = key.split('/') as [string, string];
      const cluster = ref(name, id || undefined);
      const found = await p.findNodes(cluster);
      await p.terminateNodes(
        cluster,
        found.map((n) => n.instanceId),
      );
    }
  }
  fake.resetCalls();
  expect(fake.instances()).toEqual([]);
});

async function provider(extra: Record<string, string | boolean> = {}, log = recordingLogger()) {
  const p = await createGceProvider(gceCloud(fake.url, extra), { storageDir: '/nonexistent', log }, { env });
  providers.push(p);
  return p;
}

async function untilRunning(p: Provider, cluster: ClusterRef, ids: string[]) {
  for (let i = 0; i < 100; i++) {
    const statuses = await p.describeNodes(cluster, ids);
    if (statuses.every((s) => s.state === 'running')) return statuses;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nodes did not reach running');
}

describe('createNodes', () => {
  it('creates 3 nodes of one kind with one bulkInsert and returns them with their internal IPs', async () => {
    const p = await provider();
    await p.prepare(ref('slurm'), createRequest('slurm', 'compute', 1).login);
    const result = await p.createNodes(createRequest('slurm', 'compute', 3));
    expect(result.failed).toEqual([]);
    expect(fake.calls['instances.bulkInsert']).toBe(1);
    expect(fake.calls['instances.list']).toBe(1);
    expect(result.created.map((c) => [c.name, c.instanceId])).toEqual([
      ['compute001', 'us-central1-a/slurm-compute001'],
      ['compute002', 'us-central1-a/slurm-compute002'],
      ['compute003', 'us-central1-a/slurm-compute003'],
    ]);
    expect(result.created.map((c) => c.privateIps[0]).sort()).toEqual([
      '10.87.1.2',
      '10.87.1.3',
      '10.87.1.4',
    ]);
    expect(result.created.every((c) => c.publicIps.length === 0 && c.flavor === 'e2-small')).toBe(true);
    const body = fake.requests.find((r) => r.method === 'instances.bulkInsert')!.body as Record<
      string,
      unknown
    >;
    expect(body).toMatchObject({ count: '3', minCount: '3' });
    expect(Object.keys(body['perInstanceProperties'] as object)).toEqual([
      'slurm-compute001',
      'slurm-compute002',
      'slurm-compute003',
    ]);
    const instance = fake.instances()[0]!;
    expect(instance.labels).toEqual({ 'herd-cluster': 'slurm', 'herd-kind': 'compute', 'herd-run': 'run1' });
    expect(instance.metadata.items).toContainEqual({
      key: 'ssh-keys',
      value: 'herd:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests herd@test',
    });
  });

  it('creates two kinds in parallel with one bulkInsert each', async () => {
    const p = await provider();
    const [a, b] = await Promise.all([
      p.createNodes(createRequest('two', 'frontend', 1)),
      p.createNodes(createRequest('two', 'compute', 2, { flavor: 'e2-standard-2' })),
    ]);
    expect(a.created.map((c) => c.name)).toEqual(['frontend001']);
    expect(b.created.map((c) => [c.name, c.flavor])).toEqual([
      ['compute001', 'e2-standard-2'],
      ['compute002', 'e2-standard-2'],
    ]);
    expect(fake.calls['instances.bulkInsert']).toBe(2);
  });

  it('repeating a run (same requestId) creates nothing twice', async () => {
    const p = await provider();
    const first = await p.createNodes(createRequest('again', 'compute', 2));
    const second = await p.createNodes(createRequest('again', 'compute', 2));
    expect(second.failed).toEqual([]);
    expect(second.created.map((c) => c.instanceId)).toEqual(first.created.map((c) => c.instanceId));
    expect(fake.instances()).toHaveLength(2);
  });

  it('fails over to the next zone when the first has no capacity, and says so', async () => {
    const log = recordingLogger();
    const p = await provider({ zone: 'us-central1-a,us-central1-b' }, log);
    fake.failBulkInsert({ zone: 'us-central1-a', code: 'ZONE_RESOURCE_POOL_EXHAUSTED', times: 1 });
    const result = await p.createNodes(createRequest('fo', 'compute', 2));
    expect(result.failed).toEqual([]);
    expect(result.created.map((c) => c.instanceId)).toEqual([
      'us-central1-b/fo-compute001',
      'us-central1-b/fo-compute002',
    ]);
    expect(fake.calls['instances.bulkInsert']).toBe(2);
    expect(log.lines.join('\n')).toMatch(
      /warn: us-central1-a cannot take 2 compute node\(s\).*ZONE_RESOURCE_POOL_EXHAUSTED.*trying us-central1-b/,
    );
  });

  it('fails over on a quota error refused at request time (HTTP 403 quotaExceeded)', async () => {
    const p = await provider({ zone: 'us-central1-a,us-central1-c' });
    fake.failBulkInsert({ zone: 'us-central1-a', code: 'QUOTA_EXCEEDED', stage: 'http', times: 1 });
    const result = await p.createNodes(createRequest('quota', 'compute', 1));
    expect(result.created.map((c) => c.instanceId)).toEqual(['us-central1-c/quota-compute001']);
  });

  it('fails every node, naming both zones, when every zone is exhausted', async () => {
    const p = await provider({ zone: 'us-central1-a,us-central1-b' });
    fake.failBulkInsert({ code: 'ZONE_RESOURCE_POOL_EXHAUSTED', times: 2 });
    const result = await p.createNodes(createRequest('full', 'compute', 2));
    expect(result.created).toEqual([]);
    expect(result.failed.map((f) => f.name)).toEqual(['compute001', 'compute002']);
    const error = result.failed[0]!.error as ProviderError;
    expect(error.code).toBe('GceNoCapacity');
    expect(error.message).toMatch(/tried us-central1-a \(.*ZONE_RESOURCE_POOL_EXHAUSTED.*\), us-central1-b/);
    expect(error.hint).toMatch(/zone= in \[cloud\/gce\]/);
    expect(fake.instances()).toEqual([]);
  });

  it('reports an operation error on every node of the batch and tries no other zone', async () => {
    const p = await provider({ zone: 'us-central1-a,us-central1-b' });
    fake.failBulkInsert({ zone: 'us-central1-a', code: 'INTERNAL_ERROR', times: 1 });
    const result = await p.createNodes(createRequest('operr', 'compute', 2));
    expect(result.failed.map((f) => [f.name, f.error.message])).toEqual([
      ['compute001', expect.stringContaining('INTERNAL_ERROR')],
      ['compute002', expect.stringContaining('INTERNAL_ERROR')],
    ]);
    expect(fake.calls['instances.bulkInsert']).toBe(1);
  });

  it('names the config key when the image or the machine type does not exist', async () => {
    const p = await provider();
    const image = await p
      .createNodes({ ...createRequest('bad', 'compute', 1, { image_id: 'debian-99' }), template: 'slurm' })
      .catch((e) => e);
    expect(image).toBeInstanceOf(ProviderError);
    // Where to fix it comes first, as in config errors: the template's section, the key and its value.
    expect(image.message).toMatch(/^\[cluster\/slurm\] image_id=debian-99 \(kind compute\): /);
    expect(image.hint).toContain('public image family such as debian-12');
    expect(image.code).toBe('GceResourceNotFound');
    expect(image.message).toContain("projects/debian-cloud/global/images/family/debian-99' was not found");
    expect(image.hint).toMatch(/image_id for kind "compute"/);
    const flavor = await p
      .createNodes(createRequest('bad', 'compute', 1, { flavor: 'e2-huge' }))
      .catch((e) => e);
    expect(flavor.code).toBe('GceInvalidRequest');
    expect(flavor.hint).toMatch(/flavor for kind "compute"/);
    expect(fake.instances()).toEqual([]);
  });

  it('refuses a cluster whose instance names GCE would refuse, before any call', async () => {
    const p = await provider();
    const error = await p.prepare(ref('1st'), createRequest('x', 'y', 1).login).catch((e) => e);
    expect(error.code).toBe('GceBadInstanceName');
    expect(error.message).toContain('"1st-node001"');
    expect(fake.calls['instances.bulkInsert']).toBeUndefined();
  });
});

describe('describeNodes and findNodes', () => {
  it('use one list per zone per call and follow nodes from pending to running', async () => {
    const p = await provider({ zone: 'us-central1-a,us-central1-b' });
    const { created } = await p.createNodes(createRequest('poll', 'compute', 2));
    const ids = created.map((c) => c.instanceId);
    fake.resetCalls();
    const first = await p.describeNodes(ref('poll'), [...ids, 'us-central1-a/poll-compute009']);
    expect(fake.calls['instances.list']).toBe(2);
    expect(first[2]).toMatchObject({ instanceId: 'us-central1-a/poll-compute009', state: 'terminated' });
    expect(['pending', 'running']).toContain(first[0]!.state);
    const running = await untilRunning(p, ref('poll'), ids);
    expect(running.map((s) => s.name)).toEqual(['compute001', 'compute002']);
    fake.resetCalls();
    const found = await p.findNodes(ref('poll'));
    expect(fake.calls['instances.list']).toBe(2);
    expect(found.map((f) => f.instanceId).sort()).toEqual(ids);
  });

  it('recovers exact cluster and kind names with uppercase letters and dots', async () => {
    const p = await provider();
    const { created } = await p.createNodes(createRequest('Big.Lab', 'GPU', 1));
    expect(created[0]!.instanceId).toBe('us-central1-a/big-lab-gpu001');
    expect(fake.instances()[0]!.labels?.['herd-cluster']).toBe('_big_-_lab');
    const found = await p.findNodes(ref('Big.Lab'));
    expect(found.map((f) => f.name)).toEqual(['GPU001']);
    expect(await p.findNodes(ref('big.lab'))).toEqual([]);
  });

  it('follows nextPageToken past 500 instances', async () => {
    const big = await startFakeGce({ internalSubnet: '10.88.0.0/16', runningDelayMs: 0 });
    try {
      const cloud = gceCloud(big.url);
      const p = await createGceProvider(
        cloud,
        { storageDir: '/nonexistent', log: recordingLogger() },
        { env },
      );
      const { created } = await p.createNodes(createRequest('many', 'compute', 501));
      expect(created).toHaveLength(501);
      expect(big.calls['instances.list']).toBe(2);
      big.resetCalls();
      const found = await p.findNodes(ref('many'));
      expect(found).toHaveLength(501);
      expect(new Set(found.map((f) => f.privateIps[0])).size).toBe(501);
      expect(big.calls['instances.list']).toBe(2);
    } finally {
      await big.stop();
    }
  });

  it('a subnet without room for the batch fails it at the operation (IP_SPACE_EXHAUSTED)', async () => {
    const p = await provider();
    const result = await p.createNodes(createRequest('room', 'compute', 300));
    expect(result.failed).toHaveLength(300);
    expect(result.failed[0]!.error.message).toContain('IP_SPACE_EXHAUSTED');
    expect(fake.instances()).toEqual([]);
  });
});

describe('terminate, stop and start', () => {
  it('stops (TERMINATED = stopped), starts again, and terminates; gone instances are no error', async () => {
    const p = await provider();
    const { created } = await p.createNodes(createRequest('life', 'compute', 2));
    const ids = created.map((c) => c.instanceId);
    await untilRunning(p, ref('life'), ids);
    await p.stopNodes!(ref('life'), ids);
    expect((await p.describeNodes(ref('life'), ids)).map((s) => s.state)).toEqual(['stopped', 'stopped']);
    await p.startNodes!(ref('life'), ids);
    await untilRunning(p, ref('life'), ids);
    await p.terminateNodes(ref('life'), ids);
    expect(fake.instances()).toEqual([]);
    expect(fake.calls['instances.delete']).toBe(2);
    await p.terminateNodes(ref('life'), ids);
    expect(await p.findNodes(ref('life'))).toEqual([]);
  });

  it('reports instances it could not delete and deletes the others', async () => {
    const p = await provider();
    const { created } = await p.createNodes(createRequest('stuck', 'compute', 2));
    fake.failRequests({
      method: 'instances.delete',
      status: 403,
      reason: 'forbidden',
      message: 'Required permission denied',
    });
    const error = await p
      .terminateNodes(
        ref('stuck'),
        created.map((c) => c.instanceId),
      )
      .catch((e) => e);
    expect(error.code).toBe('GceOperationFailed');
    expect(error.message).toMatch(/Could not delete 1 of 2 instance\(s\)/);
    expect(fake.instances()).toHaveLength(1);
  });
});

describe('credentials', () => {
  it.each([
    ['without any credentials', undefined, 'GceNoCredentials', /No Google Cloud credentials found/],
    [
      'with GOOGLE_APPLICATION_CREDENTIALS naming a missing file',
      'missing.json',
      'GceBadCredentials',
      /GOOGLE_APPLICATION_CREDENTIALS=.*missing\.json cannot be used/,
    ],
  ] as const)(
    '%s: a ProviderError saying how to fix it, and no crash',
    async (_label, keyFile, code, message) => {
      const home = await mkdtemp(join(tmpdir(), 'herd-gce-home-'));
      const restore = withEnv({
        GOOGLE_OAUTH_ACCESS_TOKEN: undefined,
        GOOGLE_APPLICATION_CREDENTIALS: keyFile === undefined ? undefined : join(home, keyFile),
        CLOUDSDK_CONFIG: undefined,
        HOME: home,
        METADATA_SERVER_DETECTION: 'none',
      });
      try {
        const p = await createGceProvider(
          gceCloud(fake.url),
          { storageDir: home, log: recordingLogger() },
          { env: process.env },
        );
        const error = await p.prepare(ref('nocreds'), createRequest('x', 'y', 1).login).catch((e) => e);
        expect(error).toBeInstanceOf(ProviderError);
        expect(error.code).toBe(code);
        expect(error.message).toMatch(message);
        expect(error.hint).toContain('gcloud auth application-default login');
        expect(error.hint).toContain('GOOGLE_APPLICATION_CREDENTIALS');
        expect((await p.findNodes(ref('nocreds')).catch((e) => e)).code).toBe(code);
        expect(fake.requests).toEqual([]);
      } finally {
        restore();
        await rm(home, { recursive: true, force: true });
      }
    },
  );

  it('says once that gce_client_id is replaced by Application Default Credentials', async () => {
    const log = recordingLogger();
    const p = await provider(
      { gce_client_id: 'abc.apps.googleusercontent.com', gce_client_secret: 's3cret' },
      log,
    );
    await p.prepare(ref('legacy'), createRequest('x', 'y', 1).login);
    await p.prepare(ref('legacy'), createRequest('x', 'y', 1).login);
    const notes = log.lines.filter((l) => l.includes('gce_client_id'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^info: .*application-default login/);
    expect(log.lines.join('\n')).not.toContain('s3cret');
  });

  it('sends the access token as a bearer token; the fake refuses a request without it', async () => {
    const p = await provider();
    await p.findNodes(ref('tok'));
    expect(fake.calls['instances.list']).toBe(1);
    const response = await fetch(`${fake.url}/compute/v1/projects/herd-test/zones/us-central1-a/instances`);
    expect(response.status).toBe(401);
  });
});

describe('cluster identity: one name, several clusters', () => {
  it('names instances <cluster>-<id>-<node>, and finds and deletes only those of its own id', async () => {
    const log = recordingLogger();
    const p = await provider({}, log);
    const mine = ref('twin', '0a1b2c3d');
    const legacy = ref('twin');
    const a = await p.createNodes(createRequest(mine, 'compute', 1));
    const b = await p.createNodes(createRequest(legacy, 'compute', 1));
    expect(a.created.map((c) => c.instanceId)).toEqual(['us-central1-a/twin-0a1b2c3d-compute001']);
    expect(b.created.map((c) => c.instanceId)).toEqual(['us-central1-a/twin-compute001']);
    const labels = fake.instances().find((i) => i.name === 'twin-0a1b2c3d-compute001')!.labels;
    expect(labels).toMatchObject({ 'herd-cluster': 'twin', 'herd-cluster-id': '0a1b2c3d' });

    expect((await p.findNodes(mine)).map((n) => [n.instanceId, n.name])).toEqual([
      ['us-central1-a/twin-0a1b2c3d-compute001', 'compute001'],
    ]);
    expect(log.lines.join('\n')).toMatch(
      /warn: 1 instance\(s\) carry the name of cluster "twin" \(id 0a1b2c3d\) but belong to another herd cluster.*us-central1-a\/twin-compute001 \(no cluster id\)/,
    );
    // The cluster from before ids owns what carries its name and no id.
    expect((await p.findNodes(legacy)).map((n) => n.instanceId)).toEqual(['us-central1-a/twin-compute001']);

    // Named or not, the other cluster's instance is never deleted.
    await p.terminateNodes(mine, ['us-central1-a/twin-compute001', 'us-central1-a/twin-0a1b2c3d-compute001']);
    expect(fake.instances().map((i) => i.name)).toEqual(['twin-compute001']);
    expect(fake.calls['instances.delete']).toBe(1);
  });
});
