/** The pure parts of the OpenStack provider: identity, auth URLs, error bodies, settings, statuses. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { OpenStackApiError, parseErrorBody } from '../../../src/providers/openstack/api-error.js';
import { findEndpoint, normalizeAuthUrl } from '../../../src/providers/openstack/auth.js';
import {
  configKeyFor,
  isCapacityMessage,
  isQuotaMessage,
  toProviderError,
} from '../../../src/providers/openstack/errors.js';
import {
  clusterTag,
  clusterTags,
  isOwnServer,
  isOwnTagged,
  keyPairName,
  ownerDescription,
  parseServerGroupName,
  securityGroupName,
  serverGroupName,
} from '../../../src/providers/openstack/identity.js';
import { keyPairHolds, novaFingerprint } from '../../../src/providers/openstack/key-pair.js';
import { chooseMicroversion } from '../../../src/providers/openstack/nova.js';
import { parseNetworkChoices, splitList } from '../../../src/providers/openstack/settings.js';
import { isScheduled, lifecycleOf, statusOf } from '../../../src/providers/openstack/status.js';

describe('cluster identity', () => {
  const old = (name: string) => ({ name, id: undefined });
  const withId = (name: string, id: string) => ({ name, id });

  it('tags every resource with the cluster, and its id when it has one; long names fit in 60 characters', () => {
    expect(clusterTags(old('slurm'))).toEqual(['herd:cluster=slurm']);
    expect(clusterTags(withId('slurm', '0a1b2c3d'))).toEqual(['herd:cluster=slurm', 'herd:id=0a1b2c3d']);
    const long = clusterTag(old('a'.repeat(60)));
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long).not.toBe(clusterTag(old(`${'a'.repeat(59)}b`)));
  });

  it('owns a server by its metadata: the name and exactly the id, or no id for a cluster from before ids', () => {
    expect(isOwnServer(old('c'), { herd_cluster: 'c' })).toBe(true);
    expect(isOwnServer(old('c'), { herd_cluster: 'c2' })).toBe(false);
    expect(isOwnServer(withId('c', 'a1'), { herd_cluster: 'c', herd_cluster_id: 'a1' })).toBe(true);
    expect(isOwnServer(withId('c', 'a1'), { herd_cluster: 'c', herd_cluster_id: 'b2' })).toBe(false);
    // A cluster with an id never takes a server from before ids, nor the reverse.
    expect(isOwnServer(withId('c', 'a1'), { herd_cluster: 'c' })).toBe(false);
    expect(isOwnServer(old('c'), { herd_cluster: 'c', herd_cluster_id: 'a1' })).toBe(false);
  });

  it('owns a Neutron resource by its tags, or by its description when tagging never happened', () => {
    expect(isOwnTagged(old('c'), { tags: ['herd:cluster=c'] })).toBe(true);
    expect(isOwnTagged(withId('c', 'a1'), { tags: ['herd:cluster=c', 'herd:id=a1'] })).toBe(true);
    expect(isOwnTagged(withId('c', 'a1'), { tags: ['herd:cluster=c', 'herd:id=b2'] })).toBe(false);
    expect(isOwnTagged(withId('c', 'a1'), { tags: ['herd:cluster=c'] })).toBe(false);
    expect(isOwnTagged(old('c'), { tags: ['herd:cluster=c', 'herd:id=a1'] })).toBe(false);
    expect(isOwnTagged(old('c'), { tags: [], description: ownerDescription(old('c'), 'SSH') })).toBe(true);
    expect(isOwnTagged(old('c'), { tags: [], description: ownerDescription(old('cc'), 'SSH') })).toBe(false);
    expect(isOwnTagged(withId('c', 'a1'), { description: ownerDescription(withId('c', 'a1'), 'x') })).toBe(
      true,
    );
    expect(isOwnTagged(withId('c', 'a1'), { description: ownerDescription(withId('c', 'b2'), 'x') })).toBe(
      false,
    );
    expect(isOwnTagged(old('c'), { description: ownerDescription(withId('c', 'b2'), 'x') })).toBe(false);
    expect(isOwnTagged(old('c'), { tags: [], description: 'my own group' })).toBe(false);
  });

  it('names key pairs, security groups and server groups with the id, and reads server groups back', () => {
    expect(keyPairName(withId('c', '0a1b2c3d'))).toBe('herd-c-0a1b2c3d');
    expect(securityGroupName(withId('c', '0a1b2c3d'))).toBe('herd-c-0a1b2c3d');
    expect(keyPairName(old('c'))).toBe('herd-c');
    expect(serverGroupName(withId('c', '0a1b2c3d'), 'compute', 2)).toBe('herd-c-0a1b2c3d-compute.2');
    expect(parseServerGroupName(withId('c', '0a1b2c3d'), 'herd-c-0a1b2c3d-compute.2')).toEqual({
      kind: 'compute',
      index: 2,
    });
    expect(parseServerGroupName(withId('c', '0a1b2c3d'), 'herd-c-99999999-compute.2')).toBeUndefined();
    expect(parseServerGroupName(withId('c', '0a1b2c3d'), 'herd-c-compute.2')).toBeUndefined();
    expect(serverGroupName(old('c'), 'compute', 2)).toBe('herd-c-compute.2');
    expect(parseServerGroupName(old('c'), 'herd-c-compute.2')).toEqual({ kind: 'compute', index: 2 });
    // A cluster from before ids does not take the groups of a cluster of its name with an id.
    expect(parseServerGroupName(old('c'), 'herd-c-0a1b2c3d-compute.2')).toBeUndefined();
    expect(parseServerGroupName(old('c'), 'herd-d-compute.2')).toBeUndefined();
    expect(parseServerGroupName(old('c'), 'herd-c-compute')).toBeUndefined();
  });
});

describe('Keystone URLs and the catalog', () => {
  it.each([
    ['https://ks.example.org:5000', 'https://ks.example.org:5000/v3'],
    ['https://ks.example.org:5000/', 'https://ks.example.org:5000/v3'],
    ['https://ks.example.org:5000/v3/', 'https://ks.example.org:5000/v3'],
    ['https://ks.example.org:5000/v2.0', 'https://ks.example.org:5000/v3'],
    ['https://cloud.example.org/identity', 'https://cloud.example.org/identity/v3'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeAuthUrl(input)).toBe(expected);
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => normalizeAuthUrl('keystone:5000')).toThrow(/must start with https:\/\//);
    expect(() => normalizeAuthUrl('not a url')).toThrow(/is not a URL/);
  });

  it('takes the endpoint of the interface and region asked for', () => {
    const catalog = [
      {
        type: 'compute',
        endpoints: [
          { interface: 'public', region_id: 'r1', url: 'https://r1/compute/' },
          { interface: 'internal', region_id: 'r1', url: 'http://r1-int/compute' },
          { interface: 'public', region_id: 'r2', url: 'https://r2/compute' },
        ],
      },
    ];
    expect(findEndpoint(catalog, 'compute', 'public', 'r2')).toEqual({ url: 'https://r2/compute' });
    expect(findEndpoint(catalog, 'compute', 'internal', undefined)).toEqual({ url: 'http://r1-int/compute' });
    expect(findEndpoint(catalog, 'compute', 'public', undefined)).toEqual({ url: 'https://r1/compute' });
    expect(findEndpoint(catalog, 'network', 'public', undefined)).toEqual({
      problem: 'the service catalog has no network service (types: compute)',
    });
  });
});

describe('error bodies and what they mean', () => {
  it.each([
    [
      '{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}',
      'itemNotFound',
      'Instance x could not be found.',
    ],
    [
      '{"NeutronError": {"type": "SecurityGroupInUse", "message": "Security Group s in use.", "detail": ""}}',
      'SecurityGroupInUse',
      'Security Group s in use.',
    ],
    [
      '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}',
      'Unauthorized',
      'The request you have made requires authentication.',
    ],
    [
      '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>No image found with ID x<br /><br /></body></html>',
      undefined,
      '404 Not Found No image found with ID x',
    ],
    ['', undefined, 'HTTP 502'],
  ])('%s', (text, kind, message) => {
    expect(parseErrorBody(text, 502)).toEqual({ kind, message });
  });

  it('tells capacity from quota, and names the config key a message points at', () => {
    expect(isCapacityMessage('No valid host was found. There are not enough hosts available.')).toBe(true);
    expect(
      isCapacityMessage('Build of instance x aborted: No more IP addresses available on network n.'),
    ).toBe(true);
    expect(isCapacityMessage('Quota exceeded for instances')).toBe(false);
    expect(isQuotaMessage('Quota exceeded for cores: Requested 4, but already used 20 of 20 cores')).toBe(
      true,
    );
    expect(configKeyFor('Flavor 99 could not be found.')).toBe('flavor');
    expect(configKeyFor('Invalid imageRef provided.')).toBe('image_id');
    expect(configKeyFor('Volume type gold could not be found.')).toBe('boot_disk_type');
    expect(configKeyFor('The requested availability zone is not available')).toBe('availability_zone');
    expect(configKeyFor('Network n could not be found.')).toBe('network_ids');
  });

  const ctx = { action: 'create 2 compute server(s)', section: 'cloud/os', template: 'lab', kind: 'compute' };
  const apiError = (status: number, message: string) =>
    new OpenStackApiError(status, 'compute POST /servers', undefined, message, 'req-1');

  it.each([
    // status, message, code, message starts with, hint
    [403, 'Quota exceeded for cores', 'OpenStackQuotaExceeded', 'Could not', /lower compute_nodes or flavor/],
    [413, 'Rate limit reached', 'OpenStackQuotaExceeded', 'Could not', /openstack quota show/],
    [
      401,
      'The request you have made requires authentication.',
      'OpenStackAuthFailed',
      'Could not',
      /openstack token issue/,
    ],
    [403, 'Policy does not allow this.', 'OpenStackForbidden', 'Could not', /may not do this in its project/],
    [
      404,
      'Flavor m1.huge could not be found.',
      'OpenStackNotFound',
      '[cluster/lab] flavor=m1.huge (kind compute): Could not',
      /^Check flavor for kind "compute" in \[cluster\/lab\] \(or its \[cluster\/NAME\/KIND\] override\)\.$/,
    ],
    [
      400,
      'Invalid server group policy',
      'OpenStackInvalidRequest',
      'Could not',
      /^Check use_anti_affinity_groups in \[cloud\/os\]\.$/,
    ],
    [500, 'Unexpected API Error.', 'OpenStackApiError', 'Could not', /"herd -vv" shows every request/],
  ])('HTTP %s "%s" -> %s', (status, message, code, lead, hint) => {
    const error = toProviderError(apiError(status, message), { ...ctx, settings: { flavor: 'm1.huge' } });
    expect(error.code).toBe(code);
    expect(error.message.startsWith(lead), error.message).toBe(true);
    expect(error.message).toContain(`${message} (compute POST /servers answered ${status}; request req-1)`);
    expect(error.hint).toMatch(hint);
  });

  it('passes herd errors through and wraps anything else', () => {
    const herd = new ConfigError([{ message: 'x' }]);
    expect(toProviderError(herd, ctx)).toBe(herd);
    const other = toProviderError(new Error('socket hang up'), ctx);
    expect(other.code).toBe('OpenStackError');
    expect(other.message).toBe('Could not create 2 compute server(s) ([cloud/os]): Error: socket hang up');
  });
});

describe('settings and statuses', () => {
  it('splits security_group and network_ids ("a,b|c": both, or else c)', () => {
    expect(splitList(' default , ssh,default ')).toEqual(['default', 'ssh']);
    expect(parseNetworkChoices('a,b|c')).toEqual([['a', 'b'], ['c']]);
    expect(parseNetworkChoices('')).toEqual([]);
  });

  it('asks for 2.67, lowered to what the cloud has and to compute_api_version', () => {
    expect(chooseMicroversion('2.96', undefined)).toBe('2.67');
    expect(chooseMicroversion('2.60', undefined)).toBe('2.60');
    expect(chooseMicroversion('2.96', '2.55')).toBe('2.55');
    expect(chooseMicroversion(undefined, undefined)).toBe('2.67');
  });

  it('maps Nova statuses to herd lifecycles; a server is placed once past scheduling', () => {
    expect(lifecycleOf({ status: 'BUILD' })).toBe('pending');
    expect(lifecycleOf({ status: 'ACTIVE' })).toBe('running');
    expect(lifecycleOf({ status: 'ACTIVE', 'OS-EXT-STS:task_state': 'deleting' })).toBe('stopping');
    expect(lifecycleOf({ status: 'SHUTOFF' })).toBe('stopped');
    expect(lifecycleOf({ status: 'ERROR' })).toBe('error');
    expect(isScheduled({ id: 'x', name: 'x', status: 'BUILD', 'OS-EXT-STS:task_state': 'scheduling' })).toBe(
      false,
    );
    expect(isScheduled({ id: 'x', name: 'x', status: 'BUILD', 'OS-EXT-STS:task_state': 'spawning' })).toBe(
      true,
    );
    expect(isScheduled({ id: 'x', name: 'x', status: 'ERROR' })).toBe(true);
    const status = statusOf({
      id: 'x',
      name: 'c-compute001',
      status: 'ACTIVE',
      metadata: { herd_node: 'compute001' },
      addresses: {
        net: [
          { addr: '10.0.0.5', version: 4, 'OS-EXT-IPS:type': 'fixed' },
          { addr: '203.0.113.9', version: 4, 'OS-EXT-IPS:type': 'floating' },
        ],
      },
      flavor: { original_name: 'm1.small' },
    });
    expect(status).toEqual({
      instanceId: 'x',
      name: 'compute001',
      state: 'running',
      privateIps: ['10.0.0.5'],
      publicIps: ['203.0.113.9'],
      flavor: 'm1.small',
    });
  });

  it('compares key pairs by key, else by Nova fingerprint', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFq9S1nyYh2b7qf0lUdZbQ8k2dQ3Wl2aFZrDCm4UJg9t me';
    expect(novaFingerprint(key)).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(keyPairHolds({ public_key: key.replace(' me', ' other comment') }, key)).toBe(true);
    expect(keyPairHolds({ public_key: '', fingerprint: novaFingerprint(key) }, key)).toBe(true);
    expect(keyPairHolds({ public_key: '', fingerprint: '00:11' }, key)).toBe(false);
  });
});
