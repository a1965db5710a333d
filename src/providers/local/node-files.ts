/**
 * Files that make a node itself, written into its overlay before boot: what cloud-init would do
 * on a cloud VM (hostname, machine-id, login user and key, network, user data). Every file is read
 * and written through inside.ts, which never follows a symbolic link out of the node.
 */
import { randomBytes } from 'node:crypto';
import { ProviderError } from '../../errors.js';
import { run } from './exec.js';
import { ownDirInside, readInside, symlinkInside, writeInside } from './inside.js';

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
  await writeInside(root, 'etc/systemd/network/10-herd-host0.network', host0NetworkFile(id));
  await writeInside(root, 'etc/resolv.conf', `nameserver ${id.nameserver}\n`);
}

/** Writes a new node's identity: hostname, machine-id, hosts, login user and key, user data. */
export async function writeFirstBootFiles(root: string, id: NodeIdentity): Promise<void> {
  await writeInside(root, 'etc/hostname', `${id.hostname}\n`);
  const machineId = (await readInside(root, 'etc/machine-id')) ?? '';
  if (machineId.trim() === '')
    await writeInside(root, 'etc/machine-id', `${randomBytes(16).toString('hex')}\n`, { mode: 0o444 });
  await writeInside(root, 'etc/hosts', hostsFile(id.hostname, id.ip));
  await authorizeLogin(root, id.user, id.publicKey);
  if (id.userdata && id.userdata.trim() !== '') await installUserdata(root, id.userdata);
  await writeBootFiles(root, id);
}

/** A passwd entry of the image (or the overlay), if the user exists. */
export async function lookupUser(
  root: string,
  user: string,
): Promise<{ uid: number; gid: number; home: string } | undefined> {
  const passwd = (await readInside(root, 'etc/passwd')) ?? '';
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
    await writeInside(root, `etc/sudoers.d/90-herd-${user}`, `${user} ALL=(ALL) NOPASSWD:ALL\n`, {
      mode: 0o440,
    });
  }
  const sshDir = `${entry.home}/.ssh`;
  await ownDirInside(root, sshDir, { mode: 0o700, uid: entry.uid, gid: entry.gid });
  const existing = (await readInside(root, `${sshDir}/authorized_keys`)) ?? '';
  const key = publicKey.trim();
  const keys = existing.split('\n').includes(key) ? existing : `${existing}${key}\n`;
  await writeInside(root, `${sshDir}/authorized_keys`, keys, { mode: 0o600, uid: entry.uid, gid: entry.gid });
}

/**
 * Installs user data as a oneshot unit that runs once, after the network is up and before sshd starts:
 * herd never connects to (or configures) a node whose user data is still running.
 */
async function installUserdata(root: string, userdata: string): Promise<void> {
  // Traversable by every user: the playbooks keep a non-root login user's Ansible temp files below it
  // (common role). The script itself stays readable by root only.
  await ownDirInside(root, 'var/lib/herd', { uid: 0, gid: 0, mode: 0o755 });
  const script = userdata.startsWith('#!') ? userdata : `#!/bin/sh\n${userdata}`;
  await writeInside(root, 'var/lib/herd/userdata', script.endsWith('\n') ? script : `${script}\n`, {
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
  await writeInside(root, 'etc/systemd/system/herd-userdata.service', unit);
  await symlinkInside(
    root,
    'etc/systemd/system/multi-user.target.wants/herd-userdata.service',
    '../herd-userdata.service',
  );
}
