/** The local preflight with a described host: what it reports, from what it reads. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageCacheKey } from '../../../src/providers/local/image.js';
import { type LocalHost, localPreflight, thisHost } from '../../../src/providers/local/preflight.js';
import { parseSubnet } from '../../../src/providers/local/subnet.js';
import type { PreflightRequest } from '../../../src/providers/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-local-preflight-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const net = () => ({
  bridge: 'htlpf0',
  subnet: parseSubnet('10.144.7.0/29'),
  nat: true,
  runDir: join(dir, 'run'),
  section: 'cloud/local',
});

function host(overrides: Partial<LocalHost> & { files?: string[] } = {}): LocalHost {
  const files = new Set(overrides.files ?? ['/dev/fuse']);
  return {
    uid: 0,
    findTool: (name) => `/usr/bin/${name}`,
    filesystems: async () => 'nodev\tsysfs\nnodev\toverlay\n\text4\n',
    exists: (path) => files.has(path),
    kernelRelease: async () => '6.1.0-test',
    ...overrides,
  };
}

function request(kinds: [string, number, Record<string, string>][]): PreflightRequest {
  return {
    cluster: { name: 'lab', id: '1a2b3c4d' },
    login: { user: 'root', publicKey: undefined, keyName: undefined },
    kinds: kinds.map(([kind, count, settings]) => ({ kind, count, settings })),
  };
}

describe('local preflight', () => {
  it('passes on a capable host, plans the bridge and the image build, and counts free addresses', async () => {
    const report = await localPreflight(
      request([['compute', 2, { image_id: 'debian-12' }]]),
      net(),
      join(dir, 'cache'),
      host(),
    );
    expect(report.checks.map((c) => `${c.status} ${c.id}`)).toEqual([
      'ok host-root',
      'ok host-tools',
      'ok kernel-overlayfs',
      'ok kernel-shared-fs',
      'ok image',
      expect.stringMatching(/^(ok|fail) image-build$/),
      'ok addresses',
    ]);
    expect(report.checks.find((c) => c.id === 'kernel-shared-fs')!.message).toBe(
      'shared /home over sshfs (FUSE); no NFS in this kernel',
    );
    expect(report.checks.find((c) => c.id === 'addresses')!.message).toBe(
      '10.144.7.0/29 has 5 free address(es) for 2 new node(s)',
    );
    expect(report.resources.map((r) => [r.action, r.type, r.name])).toEqual([
      ['create', 'image', imageCacheKey('debian-12')],
      ['create', 'bridge', 'htlpf0'],
    ]);
  });

  it('says which kernel limits start would raise for the nodes on the host, and refuses a full bridge', async () => {
    const sysctl = (key: string) => (key === 'fs.inotify.max_user_instances' ? 128 : 10_000_000);
    const limits = async (count: number, running: number) =>
      (
        await localPreflight(
          request([['compute', count, { image_id: 'debian-12' }]]),
          net(),
          join(dir, 'cache'),
          host({ sysctl, hostNodes: () => running }),
        )
      ).checks.find((c) => c.id === 'host-limits');
    expect(await limits(2, 0)).toMatchObject({
      status: 'ok',
      message: 'kernel limits suffice for 2 local nodes',
    });
    expect(await limits(60, 40)).toMatchObject({
      status: 'warn',
      message: 'start raises fs.inotify.max_user_instances 128 -> 1280 for 100 local nodes (until reboot)',
      hint: expect.stringContaining('sysctl -w fs.inotify.max_user_instances=1280'),
    });
    expect(await limits(1024, 0)).toMatchObject({
      status: 'fail',
      message: 'bridge htlpf0 would get 1024 nodes; a Linux bridge takes at most 1023',
    });
  });

  it('uses a cached image and an existing bridge; the hpc image needs the base one built first', async () => {
    const cache = join(dir, 'cache');
    const cached = host({
      files: ['/dev/fuse', '/sys/class/net/htlpf0', join(cache, `${imageCacheKey('debian-12')}.tar.zst`)],
    });
    const report = await localPreflight(
      request([['compute', 1, { image_id: 'debian-12' }]]),
      net(),
      cache,
      cached,
    );
    expect(report.resources.map((r) => [r.action, r.type])).toEqual([
      ['use', 'image'],
      ['use', 'bridge'],
    ]);
    const hpc = await localPreflight(
      request([['compute', 1, { image_id: 'debian-12-hpc' }]]),
      net(),
      cache,
      host(),
    );
    expect(hpc.resources.filter((r) => r.type === 'image').map((r) => r.name)).toEqual([
      imageCacheKey('debian-12'),
      imageCacheKey('debian-12-hpc'),
    ]);
  });

  it('fails what stops a start: not root, missing tools, no overlayfs, no NFS or FUSE, unknown image, a full subnet', async () => {
    const report = await localPreflight(
      request([['compute', 9, { image_id: 'centos-7' }]]),
      net(),
      join(dir, 'cache'),
      host({
        uid: 1000,
        findTool: (n) => (n === 'nft' ? undefined : `/usr/bin/${n}`),
        filesystems: async () => '\text4\n',
        files: [],
      }),
    );
    const failed = Object.fromEntries(report.checks.filter((c) => c.status === 'fail').map((c) => [c.id, c]));
    expect(Object.keys(failed)).toEqual([
      'host-root',
      'host-tools',
      'kernel-overlayfs',
      'kernel-shared-fs',
      'image',
      'addresses',
    ]);
    expect(failed['host-tools']!.hint).toBe('apt-get install -y nftables');
    expect(failed['image']!.message).toContain('unknown image "centos-7"');
    expect(failed['addresses']!.message).toBe(
      '10.144.7.0/29 has 5 free address(es), 9 new node(s) need one each',
    );
  });

  it('reads this host without changing it', async () => {
    const report = await localPreflight(request([]), net(), join(dir, 'cache'), thisHost);
    expect(report.checks.map((c) => c.id)).toEqual([
      'host-root',
      'host-tools',
      'kernel-overlayfs',
      'kernel-shared-fs',
    ]);
    expect(report.resources).toEqual([]);
  });
});
