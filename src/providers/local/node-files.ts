/**
 * Files that make a node itself, written into its overlay before boot: what cloud-init would do
 * on a cloud VM (hostname, machine-id, login user and key, network, user data).
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProviderError } from '../../errors.js';
import { run } from './exec.js';

/** Who a node is and how it is reached. */
export interface NodeIdentity {
  hostname: string;
  ip: string;
  prefix: number;
  gateway: string;
  nameserver: string;
  /** Login user and the public key to authorize for it. */
  user: string;
  publicKey: string;
  /** `image_userdata`: run once as root at first boot. */
  userdata?: string;
}

/** The networkd file of the container's `host0` interface. */
export function host0NetworkFile(id: Pick<NodeIdentity, 'ip' | 'prefix' | 'gateway' | 'nameserver'>): string {
  // Without the last two, network-online waits ~14 s for an IPv6 router advertisement.
  return [
    '[Match]',
    'Name=host0',
    '[Network]',
    `Address=${id.ip}/${id.prefix}`,
    `Gateway=${id.gateway}`,
    `DNS=${id.nameserver}`,
    'LinkLocalAddressing=no',
    'IPv6AcceptRA=no',
    '',
  ].join('\n');
}

/** `/etc/hosts` of a new node: localhost and its own name (the playbooks add the other nodes). */
export function hostsFile(hostname: string, ip: string): string {
  return `127.0.0.1\tlocalhost\n${ip}\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
}

/** Writes what a node needs on every boot: network and resolver (its address may be new). */
export async function writeBootFiles(root: string, id: NodeIdentity): Promise<void> {
  await mkdir(join(root, 'etc/systemd/network'), { recursive: true });
  await writeFile(join(root, 'etc/systemd/network/10-herd-host0.network'), host0NetworkFile(id));
  await writeFile(join(root, 'etc/resolv.conf'), `nameserver ${id.nameserver}\n`);
}

/** Writes a new node's identity: hostname, machine-id, hosts, login user and key, user data. */
export async function writeFirstBootFiles(root: string, id: NodeIdentity): Promise<void> {
  await writeFile(join(root, 'etc/hostname'), `${id.hostname}\n`);
  const machineId = await readFile(join(root, 'etc/machine-id'), 'utf8').catch(() => '');
  if (machineId.trim() === '')
    await writeFile(join(root, 'etc/machine-id'), `${randomBytes(16).toString('hex')}\n`);
  await writeFile(join(root, 'etc/hosts'), hostsFile(id.hostname, id.ip));
  await authorizeLogin(root, id.user, id.publicKey);
  if (id.userdata && id.userdata.trim() !== '') await installUserdata(root, id.userdata);
  await writeBootFiles(root, id);
}

/** A passwd entry of the image (or the overlay), if the user exists. */
export async function lookupUser(
  root: string,
  user: string,
): Promise<{ uid: number; gid: number; home: string } | undefined> {
  const passwd = await readFile(join(root, 'etc/passwd'), 'utf8');
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === user) return { uid: Number(uid), gid: Number(gid), home: home ?? `/home/${user}` };
  }
  return undefined;
}

async function authorizeLogin(root: string, user: string, publicKey: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
    throw new ProviderError(
      'LocalBadUser',
      `Cannot create login user "${user}" on a local node: not a valid Linux user name.`,
      {
        hint: 'Set `image_user` in the login section to a lower-case name such as root or admin.',
      },
    );
  }
  let entry = await lookupUser(root, user);
  if (!entry) {
    // The image does not need the user: created in the overlay, as a cloud image's default user.
    await run('useradd', [
      '--root',
      root,
      '--create-home',
      '--shell',
      '/bin/bash',
      '--user-group',
      '--groups',
      'sudo',
      user,
    ]);
    entry = await lookupUser(root, user);
    if (!entry) throw new ProviderError('LocalBadUser', `useradd did not create user "${user}" in ${root}.`);
  }
  if (user !== 'root') {
    await mkdir(join(root, 'etc/sudoers.d'), { recursive: true });
    const sudoers = join(root, 'etc/sudoers.d', `90-herd-${user}`);
    await writeFile(sudoers, `${user} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
    await chmod(sudoers, 0o440);
  }
  const sshDir = join(root, entry.home, '.ssh');
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  const keys = join(sshDir, 'authorized_keys');
  const existing = await readFile(keys, 'utf8').catch(() => '');
  const key = publicKey.trim();
  if (!existing.split('\n').includes(key)) await writeFile(keys, `${existing}${key}\n`, { mode: 0o600 });
  await chmod(sshDir, 0o700);
  await chmod(keys, 0o600);
  await chown(sshDir, entry.uid, entry.gid);
  await chown(keys, entry.uid, entry.gid);
}

/**
 * Installs user data as a oneshot unit that runs once, after the network is up and before sshd starts:
 * herd never connects to (or configures) a node whose user data is still running.
 */
async function installUserdata(root: string, userdata: string): Promise<void> {
  // Traversable by every user: the playbooks keep a non-root login user's Ansible temp files below it
  // (common role). The script itself stays readable by root only.
  await mkdir(join(root, 'var/lib/herd'), { recursive: true, mode: 0o755 });
  await chmod(join(root, 'var/lib/herd'), 0o755);
  const script = userdata.startsWith('#!') ? userdata : `#!/bin/sh\n${userdata}`;
  await writeFile(join(root, 'var/lib/herd/userdata'), script.endsWith('\n') ? script : `${script}\n`, {
    mode: 0o700,
  });
  const unit = [
    '[Unit]',
    'Description=herd image_userdata (runs once)',
    'ConditionPathExists=!/var/lib/herd/userdata.done',
    'Wants=network-online.target',
    'After=network-online.target',
    'Before=ssh.service',
    '[Service]',
    'Type=oneshot',
    // A user data script that hangs must not keep sshd down for ever.
    'TimeoutStartSec=300',
    'ExecStart=/var/lib/herd/userdata',
    'ExecStartPost=/usr/bin/touch /var/lib/herd/userdata.done',
    'StandardOutput=journal+console',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  await mkdir(join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  await writeFile(join(root, 'etc/systemd/system/herd-userdata.service'), unit);
  await symlink(
    '../herd-userdata.service',
    join(root, 'etc/systemd/system/multi-user.target.wants/herd-userdata.service'),
  ).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}
