import { describe, expect, it } from 'vitest';
import { candidateIps } from '../../src/cluster/records.js';
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
