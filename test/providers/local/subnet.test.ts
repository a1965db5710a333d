import { describe, expect, it } from 'vitest';
import {
  allocateAddress,
  gatewayOf,
  isLoopbackAddress,
  parseSubnet,
  subnetContains,
  subnetsOverlap,
} from '../../../src/providers/local/subnet.js';

describe('parseSubnet', () => {
  it.each([
    ['10.77.0.0/24', '10.77.0.0/24', '10.77.0.1'],
    ['10.77.0.5/24', '10.77.0.0/24', '10.77.0.1'],
    ['192.168.8.0/22', '192.168.8.0/22', '192.168.8.1'],
    [' 10.79.0.0/30 ', '10.79.0.0/30', '10.79.0.1'],
  ])('%s -> %s, gateway %s', (text, cidr, gateway) => {
    const subnet = parseSubnet(text);
    expect(subnet.cidr).toBe(cidr);
    expect(gatewayOf(subnet)).toBe(gateway);
  });

  it.each(['10.77.0.0', '10.77.0.0/31', '10.77.0.0/4', '10.777.0.0/24', 'fd00::/64', ''])(
    'rejects %j',
    (text) => {
      expect(() => parseSubnet(text)).toThrow(/CIDR/);
    },
  );
});

describe('allocateAddress', () => {
  const subnet = parseSubnet('10.79.0.0/29'); // .1 gateway, .2-.6 nodes, .7 broadcast

  it('hands out the lowest free address after the gateway', () => {
    expect(allocateAddress(subnet, new Set())).toBe('10.79.0.2');
    expect(allocateAddress(subnet, new Set(['10.79.0.2', '10.79.0.3']))).toBe('10.79.0.4');
    expect(allocateAddress(subnet, new Set(['10.79.0.3']))).toBe('10.79.0.2');
  });

  it('keeps a preferred address when it is free and inside the node range', () => {
    expect(allocateAddress(subnet, new Set(), '10.79.0.5')).toBe('10.79.0.5');
    expect(allocateAddress(subnet, new Set(['10.79.0.5']), '10.79.0.5')).toBe('10.79.0.2');
    for (const outside of ['10.79.0.1', '10.79.0.7', '10.80.0.3']) {
      expect(allocateAddress(subnet, new Set(), outside)).toBe('10.79.0.2');
    }
  });

  it('returns undefined when the subnet is full (never the broadcast address)', () => {
    const taken = new Set(['10.79.0.2', '10.79.0.3', '10.79.0.4', '10.79.0.5', '10.79.0.6']);
    expect(allocateAddress(subnet, taken)).toBeUndefined();
  });
});

describe('subnet relations', () => {
  it('tells containment and overlap', () => {
    const a = parseSubnet('10.77.0.0/24');
    expect(subnetContains(a, '10.77.0.200')).toBe(true);
    expect(subnetContains(a, '10.77.1.1')).toBe(false);
    expect(subnetsOverlap(a, parseSubnet('10.77.0.128/25'))).toBe(true);
    expect(subnetsOverlap(a, parseSubnet('10.0.0.0/8'))).toBe(true);
    expect(subnetsOverlap(a, parseSubnet('10.78.0.0/24'))).toBe(false);
  });

  it('recognizes loopback resolvers', () => {
    expect(isLoopbackAddress('127.0.0.53')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('10.255.255.53')).toBe(false);
  });
});
