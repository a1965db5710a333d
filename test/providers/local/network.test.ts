import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPrivateIpv4Cidr } from '../../../src/config/schema/formats.js';
import { ProviderError } from '../../../src/errors.js';
import { forwardFilterRules, legacyNatTable, natTable } from '../../../src/providers/local/nat.js';
import {
  assignLease,
  chooseNameserver,
  type LeaseFile,
  pruneLeases,
  readLeaseFile,
  releaseAddress,
  subnetConflict,
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
    expect(natTable('br-lab.1')).toBe('herd_br_2dlab_2e1');
  });

  it('never gives two bridge names one table (a-b, a_b and a.b shared herd_a_b before)', () => {
    const names = [
      'a-b',
      'a_b',
      'a.b',
      'a_2db',
      'a__b',
      'a_5fb',
      'ab',
      'a-_b',
      'a_-b',
      'herdbr0',
      'herd_br0',
    ];
    const tables = names.map(natTable);
    expect(new Set(tables).size).toBe(names.length);
    for (const table of tables) expect(table).toMatch(/^herd_[A-Za-z0-9_]+$/);
    expect(legacyNatTable('a-b')).toBe(legacyNatTable('a_b'));
  });
});

describe('forwardFilterRules', () => {
  it('forwards from herd bridges, the replies to them and frames bridged within a bridge, dropping the rest', () => {
    expect(forwardFilterRules(['herdbr0', 'hhd1'])).toBe(
      [
        'table ip herd_forward {}',
        'delete table ip herd_forward',
        'table ip herd_forward {',
        '  set bridged {',
        '    type iface_index . iface_index',
        '    size 1024',
        '    flags dynamic,timeout',
        '    timeout 1m',
        '  }',
        '  chain forward {',
        '    type filter hook forward priority filter; policy drop;',
        '    iifname { "herdbr0", "hhd1" } accept',
        '    oifname { "herdbr0", "hhd1" } ct state established,related accept',
        '    meta iifkind "bridge" update @bridged { meta iif . meta iif } meta iif . meta oif @bridged accept comment "bridged inside one bridge, not routed"',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });
});

describe('subnetConflict', () => {
  const subnet = parseSubnet('10.111.5.0/24');
  const eth0 = { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.168.1.20', prefixlen: 24 }] };

  it.each([
    ['a free subnet', [eth0], [{ dst: 'default', gateway: '192.168.1.1', dev: 'eth0' }], undefined],
    [
      'a VPN route that covers it',
      [eth0],
      [{ dst: '10.111.0.0/16', dev: 'tun0' }],
      /overlaps the route "10\.111\.0\.0\/16 dev tun0": a bridge on it would take that traffic away from tun0/,
    ],
    [
      'a route in another table, via a gateway',
      [eth0],
      [{ dst: '10.111.5.128/25', gateway: '192.168.1.254', dev: 'eth0', table: '100' }],
      /route "10\.111\.5\.128\/25 via 192\.168\.1\.254 dev eth0 table 100"/,
    ],
    [
      'a blackhole route',
      [eth0],
      [{ dst: '10.111.5.7', type: 'blackhole' }],
      /route "blackhole 10\.111\.5\.7"/,
    ],
    [
      'a /32 address on the host',
      [{ ifname: 'lo', addr_info: [{ family: 'inet', local: '10.111.5.9', prefixlen: 32 }] }],
      [],
      /overlaps 10\.111\.5\.9\/32 on interface lo/,
    ],
    [
      'a /31 link',
      [{ ifname: 'ptp0', addr_info: [{ family: 'inet', local: '10.111.5.0', prefixlen: 31 }] }],
      [],
      /overlaps 10\.111\.5\.0\/31 on interface ptp0/,
    ],
    [
      'a /31 and /32 elsewhere',
      [
        {
          ifname: 'lo',
          addr_info: [
            { family: 'inet', local: '10.9.9.9', prefixlen: 32 },
            { family: 'inet', local: '10.9.9.10', prefixlen: 31 },
          ],
        },
      ],
      [{ dst: '10.9.9.9', dev: 'lo', type: 'local', table: 'local' }],
      undefined,
    ],
  ])('%s', (_what, interfaces, routes, expected) => {
    const conflict = subnetConflict(subnet, interfaces, routes);
    if (expected === undefined) expect(conflict).toBeUndefined();
    else expect(conflict).toMatch(expected);
  });
});

describe('isPrivateIpv4Cidr (the local subnet format)', () => {
  it.each([
    '10.77.0.0/24',
    '10.0.0.0/8',
    '172.16.0.0/12',
    '172.31.255.0/24',
    '192.168.0.0/16',
    '192.168.8.0/22',
  ])('accepts %s', (cidr) => expect(isPrivateIpv4Cidr(cidr)).toBe(true));
  it.each([
    '8.8.8.0/24',
    '100.64.0.0/24',
    '192.0.2.0/24',
    '198.18.0.0/24',
    '172.32.0.0/24',
    '172.16.0.0/11',
    '192.168.0.0/15',
    '169.254.0.0/24',
    '127.0.0.0/8',
    '224.0.0.0/24',
  ])('refuses %s', (cidr) => expect(isPrivateIpv4Cidr(cidr)).toBe(false));
});

describe('the lease file under /run (no root needed to release an address)', () => {
  it("is rewritten atomically, and taking its lock removes dead writers' temps of it and of the lock", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-net-'));
    try {
      const dead = spawnSync('true').pid!;
      const file = leaseFile({
        '10.79.0.2': { machine: 'a-frontend001', nodeDir: dir },
        '10.79.0.3': { machine: 'a-compute001', nodeDir: dir },
      });
      await writeFile(join(dir, 'herdtst0.json'), JSON.stringify(file));
      const temps = {
        dead: [`herdtst0.json.tmp-${dead}-0a1b2c3d`, `herdtst0.lock.tmp-${dead}-0a1b2c3d`],
        live: [`herdtst0.lock.tmp-${process.pid}-0a1b2c3d`, `herdtst01.json.tmp-${dead}-0a1b2c3d`],
      };
      for (const name of [...temps.dead, ...temps.live]) await writeFile(join(dir, name), '');
      const net = { bridge: 'herdtst0', subnet, nat: true, runDir: dir, section: 'cloud/local' };
      await releaseAddress(net, 'a-compute001');
      expect((await readdir(dir)).sort()).toEqual(['herdtst0.json', ...temps.live].sort());
      expect(Object.keys((await readLeaseFile(dir, 'herdtst0'))!.leases)).toEqual(['10.79.0.2']);
      expect((await stat(join(dir, 'herdtst0.json'))).mode & 0o777).toBe(0o644);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
