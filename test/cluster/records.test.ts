import { describe, expect, it } from 'vitest';
import { candidateIps, clusterRef, providerContextOf } from '../../src/cluster/records.js';
import { node } from '../ssh/fixtures.js';

describe('candidateIps', () => {
  const both = node('compute001', undefined, {
    privateIps: ['10.0.0.5', '10.0.1.5'],
    publicIps: ['203.0.113.7'],
  });

  it('tries private addresses first, then public ones, by default (ssh_address=auto)', () => {
    expect(candidateIps(both)).toEqual(['10.0.0.5', '10.0.1.5', '203.0.113.7']);
    expect(candidateIps(both, 'auto')).toEqual(['10.0.0.5', '10.0.1.5', '203.0.113.7']);
  });

  it('keeps to private addresses with ssh_address=private (VPN, bastion)', () => {
    expect(candidateIps(both, 'private')).toEqual(['10.0.0.5', '10.0.1.5']);
  });

  it('keeps to public addresses with ssh_address=public', () => {
    expect(candidateIps(both, 'public')).toEqual(['203.0.113.7']);
  });

  it('lists an address once even when the cloud reports it as both', () => {
    const same = node('x001', undefined, { privateIps: ['10.0.0.5'], publicIps: ['10.0.0.5'] });
    expect(candidateIps(same)).toEqual(['10.0.0.5']);
  });
});

describe('clusterRef and providerContextOf of an imported cluster', () => {
  const log = { info() {}, warn() {}, debug() {} };
  const origin = {
    name: 'slurm',
    storageDir: '/home/alice/.herd/storage',
    exportedAt: '2026-01-01T00:00:00.000Z',
    importedAt: '2026-01-02T00:00:00.000Z',
  };

  it('names the cluster on the cloud by its exported name, keeping the id', () => {
    expect(clusterRef({ name: 'moved', id: '1a2b3c4d', origin })).toEqual({ name: 'slurm', id: '1a2b3c4d' });
    expect(clusterRef({ name: 'slurm', id: '1a2b3c4d' })).toEqual({ name: 'slurm', id: '1a2b3c4d' });
  });

  it('points the provider at the exporting storage dir, where local nodes live', () => {
    expect(providerContextOf({ origin }, '/home/bob/.herd/storage', log).storageDir).toBe(origin.storageDir);
    expect(providerContextOf({}, '/home/bob/.herd/storage', log).storageDir).toBe('/home/bob/.herd/storage');
  });
});
