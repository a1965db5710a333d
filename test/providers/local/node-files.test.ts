import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { host0NetworkFile, hostsFile, writeFirstBootFiles } from '../../../src/providers/local/node-files.js';

describe('host0NetworkFile', () => {
  it('sets a static address and turns off IPv6 autoconfiguration (else boot waits ~14 s)', () => {
    expect(
      host0NetworkFile({ ip: '10.79.0.2', prefix: 24, gateway: '10.79.0.1', nameserver: '10.255.255.53' }),
    ).toBe(
      [
        '[Match]',
        'Name=host0',
        '[Network]',
        'Address=10.79.0.2/24',
        'Gateway=10.79.0.1',
        'DNS=10.255.255.53',
        'LinkLocalAddressing=no',
        'IPv6AcceptRA=no',
        '',
      ].join('\n'),
    );
  });
});

describe('hostsFile', () => {
  it('names localhost and the node itself', () => {
    expect(hostsFile('compute001', '10.79.0.3')).toContain('10.79.0.3\tcompute001\n');
    expect(hostsFile('compute001', '10.79.0.3')).toMatch(/^127\.0\.0\.1\tlocalhost\n/);
  });
});

describe('writeFirstBootFiles (root login)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'herd-rootfs-'));
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'root'), { recursive: true });
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    await writeFile(join(root, 'etc/machine-id'), '');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const identity = {
    hostname: 'frontend001',
    ip: '10.79.0.2',
    prefix: 24,
    gateway: '10.79.0.1',
    nameserver: '10.79.0.1',
    user: 'root',
    publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey test@herd',
    userdata: 'touch /tmp/hello',
  };

  it('writes hostname, a machine-id, the key, the network and a oneshot user-data unit', async () => {
    await writeFirstBootFiles(root, identity);
    expect(await readFile(join(root, 'etc/hostname'), 'utf8')).toBe('frontend001\n');
    expect(await readFile(join(root, 'etc/machine-id'), 'utf8')).toMatch(/^[0-9a-f]{32}\n$/);
    expect(await readFile(join(root, 'root/.ssh/authorized_keys'), 'utf8')).toBe(`${identity.publicKey}\n`);
    expect((await stat(join(root, 'root/.ssh/authorized_keys'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(root, 'etc/systemd/network/10-herd-host0.network'), 'utf8')).toContain(
      'Address=10.79.0.2/24',
    );
    expect(await readFile(join(root, 'etc/resolv.conf'), 'utf8')).toBe('nameserver 10.79.0.1\n');
    expect(await readFile(join(root, 'var/lib/herd/userdata'), 'utf8')).toBe('#!/bin/sh\ntouch /tmp/hello\n');
    expect((await stat(join(root, 'var/lib/herd/userdata'))).mode & 0o777).toBe(0o700);
    // A non-root login user's Ansible temp directory lives below /var/lib/herd (playbooks, common role).
    expect((await stat(join(root, 'var/lib/herd'))).mode & 0o777).toBe(0o755);
    expect(await readFile(join(root, 'etc/systemd/system/herd-userdata.service'), 'utf8')).toContain(
      'ConditionPathExists=!/var/lib/herd/userdata.done',
    );
  });

  it('keeps an existing machine-id and does not repeat the key', async () => {
    await writeFile(join(root, 'etc/machine-id'), '0123456789abcdef0123456789abcdef\n');
    await writeFirstBootFiles(root, identity);
    await writeFirstBootFiles(root, identity);
    expect(await readFile(join(root, 'etc/machine-id'), 'utf8')).toBe('0123456789abcdef0123456789abcdef\n');
    expect(await readFile(join(root, 'root/.ssh/authorized_keys'), 'utf8')).toBe(`${identity.publicKey}\n`);
  });

  it('refuses a login user name Linux would not accept', async () => {
    await expect(writeFirstBootFiles(root, { ...identity, user: 'Bad User' })).rejects.toThrow(
      /"Bad User".*not a valid/,
    );
  });
});
