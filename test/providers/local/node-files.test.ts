import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  host0NetworkFile,
  hostsFile,
  writeBootFiles,
  writeFirstBootFiles,
} from '../../../src/providers/local/node-files.js';

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

/**
 * A node's overlay is the node's to change (a playbook, a user, a compromised service): a symlink in it
 * must never make herd, running as root on the host, write or read a host file.
 */
describe('first-boot files never follow a symlink out of the node', () => {
  let root: string;
  let host: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'herd-rootfs-'));
    host = await mkdtemp(join(tmpdir(), 'herd-hostfs-'));
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'root'), { recursive: true });
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    await writeFile(join(root, 'etc/machine-id'), '');
    await writeFile(join(host, 'resolv.conf'), 'nameserver 192.0.2.53\n');
    await writeFile(join(host, 'authorized_keys'), 'ssh-ed25519 AAAAhostkey admin@host\n');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(host, { recursive: true, force: true });
  });

  const identity = {
    hostname: 'compute001',
    ip: '10.79.0.3',
    prefix: 24,
    gateway: '10.79.0.1',
    nameserver: '10.79.0.1',
    user: 'root',
    publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey test@herd',
  };

  it.each(['etc/resolv.conf', 'etc/hostname', 'etc/hosts'])(
    'replaces a symlinked %s with a file of its own and leaves the host file alone',
    async (file) => {
      const target = join(host, 'resolv.conf');
      await rm(join(root, file), { force: true });
      await symlink(target, join(root, file));
      await writeFirstBootFiles(root, identity);
      expect(await readFile(target, 'utf8')).toBe('nameserver 192.0.2.53\n');
      expect((await lstat(join(root, file))).isSymbolicLink()).toBe(false);
    },
  );

  it('writes the boot files of a restart without following a symlinked resolv.conf', async () => {
    await symlink(join(host, 'resolv.conf'), join(root, 'etc/resolv.conf'));
    await writeBootFiles(root, identity);
    expect(await readFile(join(host, 'resolv.conf'), 'utf8')).toBe('nameserver 192.0.2.53\n');
    expect(await readFile(join(root, 'etc/resolv.conf'), 'utf8')).toBe('nameserver 10.79.0.1\n');
  });

  it('neither reads nor writes a host authorized_keys through a symlinked ~/.ssh or key file', async () => {
    await mkdir(join(root, 'root/.ssh'));
    await symlink(join(host, 'authorized_keys'), join(root, 'root/.ssh/authorized_keys'));
    await writeFirstBootFiles(root, identity);
    expect(await readFile(join(host, 'authorized_keys'), 'utf8')).toBe(
      'ssh-ed25519 AAAAhostkey admin@host\n',
    );
    // The host's key never made it into the node either.
    expect(await readFile(join(root, 'root/.ssh/authorized_keys'), 'utf8')).toBe(`${identity.publicKey}\n`);

    await rm(join(root, 'root/.ssh'), { recursive: true });
    await symlink(host, join(root, 'root/.ssh'));
    await expect(writeFirstBootFiles(root, identity)).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(host, 'authorized_keys'), 'utf8')).toBe(
      'ssh-ed25519 AAAAhostkey admin@host\n',
    );
  });

  it('refuses a symlinked directory on the way (etc, etc/systemd/network)', async () => {
    await mkdir(join(root, 'etc/systemd'), { recursive: true });
    await symlink(host, join(root, 'etc/systemd/network'));
    await expect(writeBootFiles(root, identity)).rejects.toThrow(/etc\/systemd\/network.*symbolic link/);
    expect(await readdir(host)).toEqual(['authorized_keys', 'resolv.conf']);

    await rm(join(root, 'etc'), { recursive: true });
    await symlink(host, join(root, 'etc'));
    await expect(writeFirstBootFiles(root, identity)).rejects.toThrow(/symbolic link/);
    expect(await readdir(host)).toEqual(['authorized_keys', 'resolv.conf']);
    expect(await readFile(join(host, 'resolv.conf'), 'utf8')).toBe('nameserver 192.0.2.53\n');
  });
});
