/** The pure parts of the OpenStack provider: identity, auth URLs, error bodies, settings, statuses. */
import { describe, expect, it } from 'vitest';
import { parseErrorBody } from '../../../src/providers/openstack/api-error.js';
import { findEndpoint, normalizeAuthUrl } from '../../../src/providers/openstack/auth.js';
import { configKeyFor, isCapacityMessage, isQuotaMessage } from '../../../src/providers/openstack/errors.js';
import {
  clusterTag,
  clusterTags,
  isOwnServer,
  isOwnTagged,
  ownerDescription,
  parseServerGroupName,
  serverGroupName,
} from '../../../src/providers/openstack/identity.js';
import { keyPairHolds, novaFingerprint } from '../../../src/providers/openstack/key-pair.js';
import { chooseMicroversion } from '../../../src/providers/openstack/nova.js';
import { parseNetworkChoices, splitList } from '../../../src/providers/openstack/settings.js';
import { isScheduled, lifecycleOf, statusOf } from '../../../src/providers/openstack/status.js';

describe('cluster identity', () => {
  it('tags every resource with the cluster, and its id when it has one; long names fit in 60 characters', () => {
    expect(clusterTags({ name: 'slurm' })).toEqual(['herd:cluster=slurm']);
    expect(clusterTags({ name: 'slurm', id: 'k3x9' })).toEqual(['herd:cluster=slurm', 'herd:id=k3x9']);
    const long = clusterTag({ name: 'a'.repeat(60) });
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long).not.toBe(clusterTag({ name: `${'a'.repeat(59)}b` }));
  });

  it('owns a server by its metadata; a server of a same-named cluster with another id is not ours', () => {
    expect(isOwnServer({ name: 'c' }, { herd_cluster: 'c' })).toBe(true);
    expect(isOwnServer({ name: 'c' }, { herd_cluster: 'c2' })).toBe(false);
    expect(isOwnServer({ name: 'c', id: 'a1' }, { herd_cluster: 'c', herd_cluster_id: 'a1' })).toBe(true);
    expect(isOwnServer({ name: 'c', id: 'a1' }, { herd_cluster: 'c', herd_cluster_id: 'b2' })).toBe(false);
    // Written before clusters had ids: judged by the name.
    expect(isOwnServer({ name: 'c', id: 'a1' }, { herd_cluster: 'c' })).toBe(true);
  });

  it('owns a Neutron resource by its tags, or by its description when tagging never happened', () => {
    expect(isOwnTagged({ name: 'c' }, { tags: ['herd:cluster=c'] })).toBe(true);
    expect(isOwnTagged({ name: 'c', id: 'a1' }, { tags: ['herd:cluster=c', 'herd:id=b2'] })).toBe(false);
    expect(
      isOwnTagged({ name: 'c' }, { tags: [], description: ownerDescription({ name: 'c' }, 'SSH') }),
    ).toBe(true);
    expect(
      isOwnTagged({ name: 'c' }, { tags: [], description: ownerDescription({ name: 'cc' }, 'SSH') }),
    ).toBe(false);
    expect(
      isOwnTagged({ name: 'c', id: 'a1' }, { description: ownerDescription({ name: 'c', id: 'b2' }, 'x') }),
    ).toBe(false);
    expect(isOwnTagged({ name: 'c' }, { tags: [], description: 'my own group' })).toBe(false);
  });

  it('names server groups herd-<cluster>-<kind>.<n> and reads them back', () => {
    expect(serverGroupName({ name: 'c' }, 'compute', 2)).toBe('herd-c-compute.2');
    expect(parseServerGroupName({ name: 'c' }, 'herd-c-compute.2')).toEqual({ kind: 'compute', index: 2 });
    expect(parseServerGroupName({ name: 'c' }, 'herd-d-compute.2')).toBeUndefined();
    expect(parseServerGroupName({ name: 'c' }, 'herd-c-compute')).toBeUndefined();
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
