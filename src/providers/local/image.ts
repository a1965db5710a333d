/**
 * Base images of local nodes. Built once with debootstrap from the host's own mirror, packed as
 * `<image>.tar.zst` in the image cache and unpacked once to `<image>/`, the read-only lower dir
 * of every node's overlay. Builds happen in a temp dir renamed at the end (a crash never leaves
 * half an image) under a lock (two herd processes never build the same image at once).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { createCgroup, killCgroup, removeCgroup } from './cgroup.js';
import { run } from './exec.js';
import { requireTools } from './host.js';
import { withLock } from './lock.js';
import { findHostMirror, imageSourcesList } from './mirror.js';
import { unmountTree } from './mounts.js';
import { buildLauncherArgs } from './nspawn.js';
import type { LocalImageName } from './settings.js';

const SUITE = 'bookworm';
const BASE_PACKAGES = [
  'openssh-server',
  'python3',
  'python3-apt',
  'sudo',
  'systemd',
  'systemd-sysv',
  'dbus',
  'iproute2',
  'ca-certificates',
  'procps',
];
// acl, procps and rsync are what the bundled playbooks' common role installs, logrotate what their slurm role
// installs: baked in, setup needs no apt.
const HPC_PACKAGES = [
  'munge',
  'slurmctld',
  'slurmd',
  'slurm-client',
  'sshfs',
  'fuse3',
  'nfs-common',
  'acl',
  'rsync',
  'logrotate',
];
/** Daemons the hpc image carries disabled: the playbooks configure and enable them. */
const HPC_DISABLED = ['slurmctld', 'slurmd'];
const TAR_FLAGS = ['--numeric-owner', '--xattrs', '--xattrs-include=*'];

/** Bump when the way images are prepared changes without a package list change. */
const RECIPE_REVISION = 2;

/**
 * The cache name of an image: its name plus a digest of the recipe, so a changed recipe builds a new image
 * instead of silently reusing an old one (old ones stay: running nodes may still use them as lower dir).
 */
export function imageCacheKey(image: LocalImageName): string {
  const recipe = JSON.stringify(
    image === 'debian-12'
      ? { SUITE, BASE_PACKAGES, RECIPE_REVISION }
      : { base: imageCacheKey('debian-12'), HPC_PACKAGES, HPC_DISABLED, RECIPE_REVISION },
  );
  return `${image}-${createHash('sha256').update(recipe).digest('hex').slice(0, 8)}`;
}

/** Where images are cached: `$HERD_IMAGE_CACHE`, else `<storageDir>/local/images`. */
export function imageCacheDir(storageDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env['HERD_IMAGE_CACHE'] || join(storageDir, 'local', 'images');
}

/** How to find or build an image. */
export interface ImageOptions {
  cacheDir: string;
  log: Logger;
  signal?: AbortSignal;
}

/** The unpacked root filesystem of `image`, built or unpacked first when needed. */
export async function ensureImage(image: LocalImageName, options: ImageOptions): Promise<string> {
  const key = imageCacheKey(image);
  const rootfs = join(options.cacheDir, key);
  if (existsSync(rootfs)) return rootfs; // only ever created by rename: always complete
  await mkdir(options.cacheDir, { recursive: true, mode: 0o755 });
  const lock = {
    what: `image ${image}`,
    timeoutMs: 30 * 60_000,
    onWait: (pid: number) =>
      options.log.info(`Waiting for herd process ${pid}, which is preparing image ${image}...`),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return withLock(join(options.cacheDir, `${key}.lock`), lock, async () => {
    if (existsSync(rootfs)) return rootfs;
    await removeLeftovers(options.cacheDir, key);
    const archive = join(options.cacheDir, `${key}.tar.zst`);
    const tmp = join(options.cacheDir, `.${key}.tmp-${process.pid}`);
    try {
      const started = Date.now();
      if (existsSync(archive)) {
        await mkdir(tmp);
        await run('tar', [...TAR_FLAGS, '--zstd', '-C', tmp, '-xf', archive], options);
        options.log.debug(`Unpacked image ${image} in ${seconds(started)} s.`);
      } else {
        options.log.info(`Building local node image ${image} (once; a few minutes)...`);
        if (image === 'debian-12') await buildBase(tmp, options);
        else await buildHpc(tmp, await ensureImage('debian-12', options), options);
        await run(
          'tar',
          [...TAR_FLAGS, '-I', 'zstd -T0 -3', '-C', tmp, '-cf', `${archive}.tmp`, '.'],
          options,
        );
        await rename(`${archive}.tmp`, archive);
        options.log.info(`Built image ${image} in ${seconds(started)} s (cached in ${archive}).`);
      }
      await rename(tmp, rootfs);
      return rootfs;
    } catch (error) {
      await discard(tmp);
      await rm(`${archive}.tmp`, { force: true });
      throw error;
    }
  });
}

async function buildBase(dir: string, options: ImageOptions): Promise<void> {
  requireTools(['debootstrap']);
  const { mirror, sources } = await findHostMirror(SUITE);
  options.log.debug(`debootstrap ${SUITE} from ${mirror}`);
  await run(
    'debootstrap',
    ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, SUITE, dir, mirror],
    options,
  );
  await writeFile(join(dir, 'etc/apt/sources.list'), imageSourcesList(sources, SUITE));
  await run('chroot', [dir, 'systemctl', 'enable', 'systemd-networkd']);
  // Host keys are made per node at first boot: ssh.service would fail without them.
  await mkdir(join(dir, 'etc/systemd/system/ssh.service.d'), { recursive: true });
  await writeFile(
    join(dir, 'etc/systemd/system/ssh.service.d/herd-keygen.conf'),
    '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n',
  );
  await genericize(dir);
}

async function buildHpc(dir: string, base: string, options: ImageOptions): Promise<void> {
  await run('cp', ['-a', '--reflink=auto', base, dir], options);
  // Packages install with their services blocked from starting (there is no init running).
  const policy = join(dir, 'usr/sbin/policy-rc.d');
  await writeFile(policy, '#!/bin/sh\nexit 101\n');
  await chmod(policy, 0o755);
  const group = `build-${process.pid}`;
  const script = [
    'apt-get update -q',
    `apt-get install -y -q --no-install-recommends ${HPC_PACKAGES.join(' ')}`,
    `systemctl disable ${HPC_DISABLED.join(' ')}`,
  ].join(' && ');
  try {
    const nspawn = [
      '--quiet',
      `--directory=${dir}`,
      `--machine=herd-build-${process.pid}`,
      '--register=no',
      '--keep-unit',
    ];
    nspawn.push(
      '--resolv-conf=copy-host',
      '--setenv=DEBIAN_FRONTEND=noninteractive',
      '/bin/sh',
      '-c',
      script,
    );
    await run('/bin/sh', buildLauncherArgs(await createCgroup(group), 'systemd-nspawn', nspawn), options);
  } finally {
    await killCgroup(group);
    await removeCgroup(group);
  }
  await rm(policy, { force: true });
  await oneMungeKeyPerNode(dir);
  await genericize(dir);
}

/**
 * A cloud node that installs munge gets a key of its own; a key baked into the image would be
 * shared by every node of every cluster. So the image has none and each node makes one at first boot.
 */
async function oneMungeKeyPerNode(dir: string): Promise<void> {
  if (!existsSync(join(dir, 'usr/sbin/mungekey'))) return;
  await rm(join(dir, 'etc/munge/munge.key'), { force: true });
  const unit = [
    '[Unit]',
    "Description=Create this node's munge key (herd local image)",
    'ConditionPathExists=!/etc/munge/munge.key',
    'Before=munge.service',
    '[Service]',
    'Type=oneshot',
    'ExecStart=/usr/sbin/mungekey --create --keyfile=/etc/munge/munge.key',
    'ExecStart=/bin/chown munge:munge /etc/munge/munge.key',
    '[Install]',
    'RequiredBy=munge.service',
  ];
  await writeFile(join(dir, 'etc/systemd/system/herd-munge-key.service'), `${unit.join('\n')}\n`);
  await mkdir(join(dir, 'etc/systemd/system/munge.service.requires'), { recursive: true });
  await symlink(
    '../herd-munge-key.service',
    join(dir, 'etc/systemd/system/munge.service.requires/herd-munge-key.service'),
  );
}

/** Removes what must differ per node (host keys, hostname, machine-id) and apt caches. */
async function genericize(dir: string): Promise<void> {
  await run('chroot', [dir, 'apt-get', 'clean']);
  await rm(join(dir, 'var/lib/apt/lists'), { recursive: true, force: true });
  await mkdir(join(dir, 'var/lib/apt/lists/partial'), { recursive: true });
  for (const name of await readdir(join(dir, 'etc/ssh'))) {
    if (name.startsWith('ssh_host_')) await rm(join(dir, 'etc/ssh', name));
  }
  await rm(join(dir, 'etc/hostname'), { force: true });
  await writeFile(join(dir, 'etc/machine-id'), '');
  await writeFile(join(dir, 'etc/resolv.conf'), '');
}

/** Temp dirs of a build that crashed (we hold the lock: nobody else is using them). */
async function removeLeftovers(cacheDir: string, image: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith(`.${image}.tmp-`)) await discard(join(cacheDir, name));
  }
  await rm(join(cacheDir, `${image}.tar.zst.tmp`), { force: true });
}

/** Removes a build dir; debootstrap may have left /proc or /sys mounted inside it. */
async function discard(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await unmountTree(dir);
  await rm(dir, { recursive: true, force: true });
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}
