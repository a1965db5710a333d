/** Pure parts of the GCE provider: body builder, images, labels, status, zones, endpoint, errors. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import {
  configKeyFor,
  describeApiError,
  describeOperationError,
  isCapacityFailure,
  toProviderError,
} from '../../../src/providers/gce/errors.js';
import { resolveImage } from '../../../src/providers/gce/image.js';
import { type BodyInput, buildBulkInsert } from '../../../src/providers/gce/instance-body.js';
import {
  bulkInsertRequestId,
  decodeLabelValue,
  encodeLabelValue,
  instanceNameProblem,
  labelFilter,
  nodeNameOf,
  parseInstanceId,
} from '../../../src/providers/gce/labels.js';
import { parseEndpoint, parseZones, readGceCloudSettings } from '../../../src/providers/gce/settings.js';
import { lifecycleOf, statusOf } from '../../../src/providers/gce/status.js';

const input = (settings: BodyInput['settings'], zone = 'us-central1-a'): BodyInput => ({
  project: 'proj-1',
  zone,
  network: 'default',
  cluster: { name: 'slurm', id: undefined },
  kind: 'compute',
  runId: 'r1',
  names: ['slurm-compute001', 'slurm-compute002'],
  settings: { image_id: 'debian-12', flavor: 'n2-standard-4', ...settings },
  login: { user: 'herd', publicKey: 'ssh-ed25519 AAAA key\n' },
});

describe('buildBulkInsert', () => {
  it('defaults: exact names, all or nothing, labels, ssh key, blocked project keys, external NAT', () => {
    const body = buildBulkInsert(input({}));
    expect(body).toEqual({
      count: '2',
      minCount: '2',
      perInstanceProperties: { 'slurm-compute001': {}, 'slurm-compute002': {} },
      instanceProperties: {
        machineType: 'n2-standard-4',
        labels: { 'herd-cluster': 'slurm', 'herd-kind': 'compute', 'herd-run': 'r1' },
        disks: [
          {
            boot: true,
            autoDelete: true,
            type: 'PERSISTENT',
            initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' },
          },
        ],
        networkInterfaces: [
          {
            network: 'global/networks/default',
            accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }],
          },
        ],
        metadata: {
          items: [
            { key: 'ssh-keys', value: 'herd:ssh-ed25519 AAAA key' },
            { key: 'herd-cluster', value: 'slurm' },
            { key: 'block-project-ssh-keys', value: 'TRUE' },
          ],
        },
      },
    });
  });

  it('maps every node key', () => {
    const p = buildBulkInsert(
      input({
        boot_disk_type: 'pd-ssd',
        boot_disk_size: 50,
        tags: 'hpc, ssh',
        external_ip: false,
        subnetwork: 'cluster-net',
        accelerator_count: 2,
        accelerator_type: 'nvidia-tesla-t4',
        local_ssd_count: 2,
        min_cpu_platform: 'Intel Ice Lake',
        allow_project_ssh_keys: true,
        image_userdata: '#!/bin/sh\necho hi',
      }),
    ).instanceProperties;
    expect(p.disks).toEqual([
      {
        boot: true,
        autoDelete: true,
        type: 'PERSISTENT',
        initializeParams: {
          sourceImage: 'projects/debian-cloud/global/images/family/debian-12',
          diskSizeGb: '50',
          diskType: 'pd-ssd',
        },
      },
      { type: 'SCRATCH', autoDelete: true, interface: 'NVME', initializeParams: { diskType: 'local-ssd' } },
      { type: 'SCRATCH', autoDelete: true, interface: 'NVME', initializeParams: { diskType: 'local-ssd' } },
    ]);
    expect(p.tags).toEqual({ items: ['hpc', 'ssh'] });
    expect(p.networkInterfaces).toEqual([{ subnetwork: 'regions/us-central1/subnetworks/cluster-net' }]);
    expect(p.guestAccelerators).toEqual([{ acceleratorType: 'nvidia-tesla-t4', acceleratorCount: 2 }]);
    expect(p.scheduling).toEqual({ onHostMaintenance: 'TERMINATE', automaticRestart: true });
    expect(p.minCpuPlatform).toBe('Intel Ice Lake');
    const scsi = buildBulkInsert(
      input({ local_ssd_count: 1, local_ssd_interface: 'SCSI' }),
    ).instanceProperties;
    expect(scsi.disks[1]).toMatchObject({ type: 'SCRATCH', interface: 'SCSI' });
    expect(p.metadata.items.map((i) => i.key)).toEqual(['ssh-keys', 'herd-cluster', 'startup-script']);
    expect(p.metadata.items[2]!.value).toBe('#!/bin/sh\necho hi');
  });

  it.each([
    ['preemptible', { preemptible: true, automaticRestart: false, onHostMaintenance: 'TERMINATE' }],
    [
      'spot',
      {
        provisioningModel: 'SPOT',
        instanceTerminationAction: 'DELETE',
        automaticRestart: false,
        onHostMaintenance: 'TERMINATE',
      },
    ],
  ])('scheduling=%s', (mode, expected) => {
    expect(buildBulkInsert(input({ scheduling: mode })).instanceProperties.scheduling).toEqual(expected);
  });

  it('network_ids: one interface per subnetwork, paths kept, NAT on the first only', () => {
    const nics = buildBulkInsert(
      input({ network_ids: 'a, projects/p/regions/europe-west1/subnetworks/b' }, 'europe-west1-b'),
    ).instanceProperties.networkInterfaces;
    expect(nics).toEqual([
      {
        subnetwork: 'regions/europe-west1/subnetworks/a',
        accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }],
      },
      { subnetwork: 'projects/p/regions/europe-west1/subnetworks/b' },
    ]);
  });

  it('refuses a kind without flavor or image, and GPUs without a type, naming the keys', () => {
    let missing: ConfigError | undefined;
    try {
      buildBulkInsert(input({ flavor: undefined, image_id: undefined }));
    } catch (e) {
      missing = e as ConfigError;
    }
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing!.problems.map((p) => p.key)).toEqual(['flavor', 'image_id']);
    expect(() => buildBulkInsert(input({ accelerator_count: 1 }))).toThrow(/accelerator_type/);
  });
});

describe('resolveImage', () => {
  it.each([
    ['debian-12', 'projects/debian-cloud/global/images/family/debian-12'],
    ['ubuntu-2204-lts', 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts'],
    ['ubuntu-pro-2204-lts', 'projects/ubuntu-os-pro-cloud/global/images/family/ubuntu-pro-2204-lts'],
    ['rocky-linux-9', 'projects/rocky-linux-cloud/global/images/family/rocky-linux-9'],
    ['centos-stream-9', 'projects/centos-cloud/global/images/family/centos-stream-9'],
    ['debian-12-bookworm-v20240110', 'projects/debian-cloud/global/images/debian-12-bookworm-v20240110'],
    ['my-golden-image', 'projects/proj-1/global/images/my-golden-image'],
    ['debian-cloud/debian-12', 'projects/debian-cloud/global/images/family/debian-12'],
    ['other/img-v20240101', 'projects/other/global/images/img-v20240101'],
    ['projects/x/global/images/family/f', 'projects/x/global/images/family/f'],
    ['global/images/mine', 'global/images/mine'],
    [
      'https://www.googleapis.com/compute/v1/projects/x/global/images/y',
      'https://www.googleapis.com/compute/v1/projects/x/global/images/y',
    ],
  ])('%s -> %s', (id, expected) => {
    expect(resolveImage(id, 'proj-1')).toBe(expected);
  });
});

describe('labels and names', () => {
  it.each([
    ['slurm', 'slurm'],
    ['Slurm_1.test', '_slurm__1_-test'],
    ['GPU', '_g_p_u'],
  ])('encodes %s as %s and back', (name, label) => {
    expect(encodeLabelValue(name)).toBe(label);
    expect(decodeLabelValue(label)).toBe(name);
    expect(label).toMatch(/^[a-z0-9_-]{0,63}$/);
  });

  it('shortens a long encoding with a hash: valid, distinct, not decodable', () => {
    const a = encodeLabelValue('A'.repeat(40));
    const b = encodeLabelValue(`${'A'.repeat(39)}B`);
    expect(a).toMatch(/^[a-z0-9_-]{1,63}$/);
    expect(a).not.toBe(b);
    expect(decodeLabelValue(a)).toBeUndefined();
  });

  it('builds filters the fake and GCE accept', () => {
    expect(labelFilter({ name: 'My.C', id: '0a1b2c3d' })).toBe('(labels.herd-cluster = "_my_-_c")');
    expect(labelFilter({ name: 'c', id: undefined }, { runId: 'r', kind: 'k' })).toBe(
      '(labels.herd-cluster = "c") (labels.herd-kind = "k") (labels.herd-run = "r")',
    );
  });

  it.each([
    ['slurm-compute001', undefined],
    ['1slurm-compute001', 'start with a lowercase letter'],
    ['slurm-', 'do not end with "-"'],
    [`a${'b'.repeat(63)}`, 'GCE allows 63'],
  ])('instance name %s', (name, problem) => {
    const found = instanceNameProblem(name);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it('recovers the node name from the kind label and the instance name', () => {
    expect(nodeNameOf('big-lab-gpu001', { 'herd-kind': '_g_p_u' })).toBe('GPU001');
    expect(nodeNameOf('slurm-compute012', { 'herd-kind': 'compute' })).toBe('compute012');
    expect(nodeNameOf('slurm-frontend001', { 'herd-kind': 'compute' })).toBeUndefined();
    expect(nodeNameOf('slurm-compute001', {})).toBeUndefined();
  });

  it('requestId: a UUID, the same for the same inputs, different for another zone or run', () => {
    const c = { name: 'c', id: '0a1b2c3d' };
    const id = bulkInsertRequestId(c, 'run', 'compute', 'us-central1-a');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bulkInsertRequestId(c, 'run', 'compute', 'us-central1-a')).toBe(id);
    expect(bulkInsertRequestId(c, 'run', 'compute', 'us-central1-b')).not.toBe(id);
    expect(bulkInsertRequestId(c, 'run2', 'compute', 'us-central1-a')).not.toBe(id);
    expect(bulkInsertRequestId({ ...c, id: '9f8e7d6c' }, 'run', 'compute', 'us-central1-a')).not.toBe(id);
  });

  it('instance ids are zone/name', () => {
    expect(parseInstanceId('us-east1-b/x-n001')).toEqual({ zone: 'us-east1-b', name: 'x-n001' });
    expect(parseInstanceId('x-n001')).toEqual({ zone: undefined, name: 'x-n001' });
  });
});

describe('status', () => {
  it.each([
    ['PROVISIONING', 'pending'],
    ['STAGING', 'pending'],
    ['RUNNING', 'running'],
    ['STOPPING', 'stopping'],
    ['SUSPENDING', 'stopping'],
    ['TERMINATED', 'stopped'],
    ['SUSPENDED', 'stopped'],
    ['WHATEVER', 'unknown'],
  ])('%s -> %s', (status, lifecycle) => {
    expect(lifecycleOf(status)).toBe(lifecycle);
  });

  it('keeps internal and external IPs and the machine type', () => {
    const s = statusOf(
      {
        name: 'c-compute001',
        status: 'RUNNING',
        machineType: 'https://x/zones/z/machineTypes/e2-small',
        labels: { 'herd-kind': 'compute' },
        networkInterfaces: [{ networkIP: '10.0.0.5', accessConfigs: [{ natIP: '203.0.113.9' }] }],
      },
      'us-central1-a',
    );
    expect(s).toEqual({
      instanceId: 'us-central1-a/c-compute001',
      name: 'compute001',
      state: 'running',
      privateIps: ['10.0.0.5'],
      publicIps: ['203.0.113.9'],
      flavor: 'e2-small',
    });
  });
});

describe('cloud settings', () => {
  it('splits the zone failover list', () => {
    expect(parseZones('us-central1-a, us-central1-b,us-central1-a')).toEqual([
      'us-central1-a',
      'us-central1-b',
    ]);
    expect(() => parseZones('us-central1')).toThrow(/not a zone name/);
  });

  it.each([
    ['http://127.0.0.1:8089', { apiEndpoint: '127.0.0.1', port: 8089, protocol: 'http' }],
    [
      'https://compute.googleapis.com',
      { apiEndpoint: 'compute.googleapis.com', port: undefined, protocol: 'https' },
    ],
  ])('endpoint %s', (url, expected) => {
    expect(parseEndpoint(url)).toEqual(expected);
  });

  it('refuses an endpoint with a path and a bad project id, all at once', () => {
    try {
      readGceCloudSettings({
        name: 'g',
        provider: 'google',
        settings: { gce_project_id: 'X', gce_api_endpoint: 'http://h/compute/v1', zone: 'nowhere' },
      });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems.map((p) => p.key)).toEqual([
        'gce_project_id',
        'gce_api_endpoint',
        'zone',
      ]);
    }
  });
});

describe('error mapping', () => {
  const ctx = { action: 'create 1 compute node(s) in z', section: 'cloud/g', project: 'p', kind: 'compute' };
  const gaxios = (status: number, reason: string, message: string) =>
    Object.assign(
      new Error(JSON.stringify({ error: { code: status, message, errors: [{ reason, message }] } })),
      {
        code: status,
      },
    );

  it('reads the JSON body of a client error', () => {
    expect(describeApiError(gaxios(404, 'notFound', "The resource 'x' was not found"))).toEqual({
      status: 404,
      reason: 'notFound',
      message: "The resource 'x' was not found",
    });
  });

  it.each([
    [{ reason: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: '' }, true],
    [{ reason: 'QUOTA_EXCEEDED', message: '' }, true],
    [{ reason: 'quotaExceeded', message: "Quota 'CPUS' exceeded" }, true],
    [{ reason: 'invalid', message: 'bad' }, false],
    [{ reason: undefined, message: 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS: x' }, true],
  ])('capacity %o -> %s', (failure, capacity) => {
    expect(isCapacityFailure(failure)).toBe(capacity);
  });

  it('prefers the capacity code among operation errors', () => {
    expect(describeOperationError([{ code: 'X' }, { code: 'QUOTA_EXCEEDED', message: 'q' }]).reason).toBe(
      'QUOTA_EXCEEDED',
    );
  });

  it.each([
    ["The resource 'projects/debian-cloud/global/images/family/debian-99' was not found", 'image_id'],
    ["Invalid value for field 'resource.instanceProperties.machineType': 'x'.", 'flavor'],
    ["The resource 'projects/p/zones/z/diskTypes/pd-x' was not found", 'boot_disk_type'],
    ["The resource 'projects/p/zones/z/acceleratorTypes/x' was not found", 'accelerator_type'],
    ["The resource 'projects/p/regions/r/subnetworks/s' was not found", 'subnetwork'],
    ["The resource 'projects/p/global/networks/n' was not found", 'network'],
  ])('%s names %s', (message, key) => {
    expect(configKeyFor(message)).toBe(key);
  });

  it.each([
    [401, 'authError', 'GceAuthFailed', /application-default login/],
    [403, 'forbidden', 'GcePermissionDenied', /Compute Instance Admin/],
    [403, 'accessNotConfigured', 'GcePermissionDenied', /services enable compute.googleapis.com/],
    [404, 'notFound', 'GceResourceNotFound', /image_id for kind "compute"/],
    [400, 'invalid', 'GceInvalidRequest', /image_id/],
  ])('HTTP %s %s -> %s', (status, reason, code, hint) => {
    const message =
      status >= 404 || status === 400 ? "The resource 'projects/x/global/images/y' was not found" : 'denied';
    const error = toProviderError(describeApiError(gaxios(status, reason, message)), ctx);
    expect(error.code).toBe(code);
    expect(error.hint).toMatch(hint);
    expect(error.message).toContain('[cloud/g]');
  });

  it.each([
    // status, reason, message, code, message starts with, hint
    [
      500,
      'backendError',
      'Internal error',
      'GceApiError',
      'Could not create',
      /"herd -vv" shows the request/,
    ],
    [
      400,
      'invalid',
      "Invalid value for field 'resource.zone': 'zones/us-x9'",
      'GceInvalidRequest',
      'Could not',
      /^Check zone in \[cloud\/g\]\.$/,
    ],
    [
      404,
      'notFound',
      "The resource 'projects/p/zones/z/machineTypes/n9' was not found",
      'GceResourceNotFound',
      '[cluster/lab] flavor=n9 (kind compute): Could not create',
      /^Check flavor for kind "compute" in \[cluster\/lab\] \(or its \[cluster\/NAME\/KIND\] override\)\.$/,
    ],
    [
      404,
      'notFound',
      "The resource 'projects/p/global/images/y' was not found",
      'GceResourceNotFound',
      '[cluster/lab] image_id (kind compute): Could not create',
      /override\)\. image_id takes a public image family/,
    ],
  ])('HTTP %s %s (%s) -> %s, leading with the key at fault', (status, reason, message, code, lead, hint) => {
    const error = toProviderError(describeApiError(gaxios(status, reason, message)), {
      ...ctx,
      template: 'lab',
      settings: { flavor: 'n9' },
    });
    expect(error.code).toBe(code);
    expect(error.message.startsWith(lead), error.message).toBe(true);
    expect(error.hint).toMatch(hint);
  });

  it('explains an instance name already taken (clusters whose names differ only in case)', () => {
    const message = "The resource 'projects/p/zones/z/instances/mycluster-frontend001' already exists";
    const error = toProviderError(describeApiError(gaxios(409, 'alreadyExists', message)), ctx);
    expect(error.code).toBe('GceInstanceExists');
    expect(error.message).toContain('mycluster-frontend001');
    expect(error.hint).toMatch(/lowercase.*another name \(-n\)/);
  });
});
