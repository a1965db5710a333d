/**
 * The cluster's run directory for SSH control sockets: private and checked before use, one socket
 * per trustworthy connection, a safe fallback when the path is too long, and masters closed.
 */
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SshError } from '../../src/errors.js';
import { generateKeyPair } from '../../src/ssh/keys.js';
import { writeKnownHosts } from '../../src/ssh/known-hosts.js';
import { ansibleHostSshArgs } from '../../src/ssh/openssh.js';
import {
  type ConnectionIdentity,
  closeControlMasters,
  controlPathFor,
  controlSocketsFit,
  ensureRunDir,
  removeRunDir,
  runDirFor,
} from '../../src/ssh/run-dir.js';
import { type SshTestServer, startSshTestServer } from './ssh-test-server.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-rundir-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const connection: ConnectionIdentity = {
  cluster: 'slurm',
  node: 'compute001',
  ip: '10.77.0.5',
  port: 22,
  user: 'debian',
  hostKey: 'ssh-ed25519 AAAAkey1',
  proxyCommand: undefined,
};

describe('controlPathFor', () => {
  it('names one socket per cluster, node, address, user, host key and proxy', () => {
    const run = runDirFor('/root/.herd/storage', 'slurm');
    expect(run).toBe('/root/.herd/storage/slurm.run');
    const path = controlPathFor(run, connection)!;
    expect(path).toMatch(/^\/root\/\.herd\/storage\/slurm\.run\/[0-9a-f]{16}$/);
    for (const change of [
      { cluster: 'other' },
      { node: 'compute002' },
      { ip: '10.77.0.6' },
      { port: 2222 },
      { user: 'root' },
      // A new machine on a reused IP under the same node name: another key, another socket.
      { hostKey: 'ssh-ed25519 AAAAkey2' },
      // The same private IP behind another bastion.
      { proxyCommand: 'ssh -W %h:%p bastion2' },
    ]) {
      expect(controlPathFor(run, { ...connection, ...change }), JSON.stringify(change)).not.toBe(path);
    }
    expect(controlPathFor(run, { ...connection })).toBe(path);
  });

  it('falls back to no connection sharing when the socket path would pass the 108-byte limit', () => {
    const long = `/${'d'.repeat(60)}/${'c'.repeat(20)}.run`;
    expect(controlSocketsFit(long)).toBe(false);
    expect(controlPathFor(long, connection)).toBeUndefined();
    expect(
      ansibleHostSshArgs({ knownHostsPath: '/k', node: 'compute001', controlPath: undefined }).slice(0, 4),
    ).toEqual(['-o', 'ControlMaster=no', '-o', 'ControlPath=none']);
    // The longest path that fits, plus OpenSSH's 17-byte temporary suffix, stays within sun_path.
    const fits = `/${'d'.repeat(72)}`;
    expect(controlSocketsFit(fits)).toBe(true);
    expect(controlPathFor(fits, connection)!.length + 17).toBeLessThanOrEqual(107);
  });
});

describe('ensureRunDir', () => {
  it('creates it 0700 and tightens a loose one of ours', async () => {
    const run = join(dir, 'c.run');
    await ensureRunDir(run);
    expect((await lstat(run)).mode & 0o777).toBe(0o700);
    await chmod(run, 0o777);
    await ensureRunDir(run);
    expect((await lstat(run)).mode & 0o777).toBe(0o700);
  });

  it('refuses a symlink, even to a private directory', async () => {
    await mkdir(join(dir, 'elsewhere'), { mode: 0o700 });
    await symlink(join(dir, 'elsewhere'), join(dir, 'c.run'));
    await expect(ensureRunDir(join(dir, 'c.run'))).rejects.toThrow(/is a symbolic link/);
  });

  it('refuses a file in its place', async () => {
    await writeFile(join(dir, 'c.run'), '');
    await expect(ensureRunDir(join(dir, 'c.run'))).rejects.toThrow(/is not a directory/);
  });

  it('refuses a directory another user made', async () => {
    await mkdir(join(dir, 'c.run'), { mode: 0o700 });
    await chown(join(dir, 'c.run'), 65534, 65534);
    const error = await ensureRunDir(join(dir, 'c.run')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshError);
    expect((error as SshError).code).toBe('RunDirUnsafe');
    expect((error as SshError).message).toMatch(/is owned by uid 65534/);
  });

  it('refuses a storage directory others may write to', async () => {
    await chmod(dir, 0o777);
    await expect(ensureRunDir(join(dir, 'c.run'))).rejects.toThrow(/writable by others/);
  });
});

describe('closeControlMasters', () => {
  let server: SshTestServer;
  let keyDir: string;
  let key: string;
  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'herd-rundir-keys-'));
    const keys = await generateKeyPair(join(keyDir, 'id'), 'test');
    key = keys.privatePath;
    server = await startSshTestServer({ authorizedKeys: [keys.publicKey] });
    await writeKnownHosts(join(keyDir, 'known_hosts'), [{ name: 'frontend001', hostKey: server.hostKey }]);
  });
  afterAll(async () => {
    await server?.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  it('ends a live master and removes its socket, then removeRunDir removes the directory', async () => {
    const run = join(dir, 'c.run');
    await ensureRunDir(run);
    const socket = controlPathFor(run, connection)!;
    const args = [
      '-i',
      key,
      '-o',
      'BatchMode=yes',
      ...ansibleHostSshArgs({
        knownHostsPath: join(keyDir, 'known_hosts'),
        node: 'frontend001',
        controlPath: socket,
      }),
      '-p',
      String(server.port),
      '-l',
      'herd',
      '--',
      '127.0.0.1',
      'true',
    ];
    const first = await execa('ssh', args, { stdin: 'ignore', timeout: 20_000 });
    expect(first.exitCode).toBe(0);
    // ControlPersist keeps the master after the command: its socket is there.
    expect((await lstat(socket)).isSocket()).toBe(true);
    const check = await execa('ssh', ['-O', 'check', '-o', `ControlPath=${socket}`, 'x'], { reject: false });
    expect(check.exitCode).toBe(0);

    await closeControlMasters(run);
    expect(await readdir(run)).toEqual([]);
    const after = await execa('ssh', ['-O', 'check', '-o', `ControlPath=${socket}`, 'x'], { reject: false });
    expect(after.exitCode).not.toBe(0);

    await removeRunDir(run);
    await expect(lstat(run)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
