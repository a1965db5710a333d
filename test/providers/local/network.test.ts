import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { natTable } from '../../../src/providers/local/nat.js';
import {
  assignLease,
  chooseNameserver,
  type LeaseFile,
  pruneLeases,
} from '../../../src/providers/local/network.js';
import { parseSubnet } from '../../../src/providers/local/subnet.js';

const subnet = parseSubnet('10.79.0.0/24');

function leaseFile(leases: LeaseFile['leases'] = {}): LeaseFile {
  return { version: 1, bridge: 'herdtst0', subnet: subnet.cidr, createdBridge: true, nat: true, leases };
}

describe('assignLease', () => {
  it('gives distinct addresses to nodes of different storage directories', () => {
    let file = leaseFile();
    const ips: string[] = [];
    for (const [machine, nodeDir] of [
      ['a-compute001', '/s1/local/nodes/a/compute001'],
      ['a-compute002', '/s1/local/nodes/a/compute002'],
      ['b-compute001', '/s2/local/nodes/b/compute001'],
    ] as const) {
      const result = assignLease(file, subnet, { machine, nodeDir });
      file = result.file;
      ips.push(result.ip);
    }
    expect(ips).toEqual(['10.79.0.2', '10.79.0.3', '10.79.0.4']);
  });

  it('returns the existing lease of the same node (idempotent)', () => {
    const file = leaseFile({ '10.79.0.9': { machine: 'a-x001', nodeDir: '/s/a/x001' } });
    const result = assignLease(file, subnet, { machine: 'a-x001', nodeDir: '/s/a/x001' });
    expect(result.ip).toBe('10.79.0.9');
    expect(result.file).toBe(file);
  });

  it('refuses a machine name held by a node of another storage directory', () => {
    const file = leaseFile({ '10.79.0.2': { machine: 'a-x001', nodeDir: '/s1/a/x001' } });
    expect(() => assignLease(file, subnet, { machine: 'a-x001', nodeDir: '/s2/a/x001' })).toThrow(
      /already used by a node in \/s1/,
    );
  });

  it('says the subnet is full', () => {
    const tiny = parseSubnet('10.79.0.0/30');
    const file = leaseFile({ '10.79.0.2': { machine: 'a', nodeDir: '/a' } });
    const error = (() => {
      try {
        assignLease(file, tiny, { machine: 'b', nodeDir: '/b' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('LocalSubnetFull');
  });
});

describe('pruneLeases', () => {
  it('drops leases whose node directory is gone', () => {
    const file = leaseFile({
      '10.79.0.2': { machine: 'a', nodeDir: '/exists' },
      '10.79.0.3': { machine: 'b', nodeDir: '/gone' },
    });
    expect(Object.keys(pruneLeases(file, (p) => p === '/exists').leases)).toEqual(['10.79.0.2']);
  });
});

describe('chooseNameserver', () => {
  it.each([
    ['nameserver 10.255.255.53\nnameserver 1.1.1.1\n', { address: '10.255.255.53', loopback: false }],
    ['# stub\nnameserver 127.0.0.53\noptions edns0\n', { address: '10.79.0.1', loopback: true }],
    ['', { address: '10.79.0.1', loopback: false }],
  ])('%j', (text, expected) => {
    expect(chooseNameserver(text, '10.79.0.1')).toEqual(expected);
  });
});

describe('natTable', () => {
  it('makes an nft-safe table name from the bridge', () => {
    expect(natTable('herdbr0')).toBe('herd_herdbr0');
    expect(natTable('br-lab.1')).toBe('herd_br_lab_1');
  });
});
