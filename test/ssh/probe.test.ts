import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/ssh/keys.js';
import { probeNode } from '../../src/ssh/probe.js';
import { probeNodes, sshFailureError, waitForSsh } from '../../src/ssh/wait-for-ssh.js';
import { type SshTestServer, startSshTestServer, testKeyPair } from './ssh-test-server.js';

let dir: string;
let ed25519: { privateKey: Buffer; publicKey: string };
let rsa: { privateKey: Buffer; publicKey: string };
let stranger: Buffer;
let server: SshTestServer;
const user = 'herd';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-probe-'));
  const ed = await generateKeyPair(join(dir, 'id_ed25519'), 'test');
  ed25519 = { privateKey: await readFile(ed.privatePath), publicKey: ed.publicKey };
  // RSA in the OpenSSH format ssh-keygen writes by default.
  await execa('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'id_rsa')]);
  rsa = {
    privateKey: await readFile(join(dir, 'id_rsa')),
    publicKey: (await readFile(join(dir, 'id_rsa.pub'), 'utf8')).trim(),
  };
  stranger = Buffer.from(testKeyPair().private);
  server = await startSshTestServer({
    authorizedKeys: [ed25519.publicKey, rsa.publicKey],
    hosts: ['127.0.0.1', '127.0.0.3'],
  });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('probeNode', () => {
  it('logs in with an ed25519 key, runs true and captures the host key', async () => {
    const before = server.commands.length;
    const result = await probeNode({
      ips: ['127.0.0.1'],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      timeoutMs: 5000,
    });
    expect(result).toEqual({ ok: true, ip: '127.0.0.1', hostKey: server.hostKey });
    expect(server.commands.slice(before)).toEqual(['true']);
  });

  it('logs in with an RSA key', async () => {
    const result = await probeNode({
      ips: ['127.0.0.1'],
      port: server.port,
      user,
      privateKey: rsa.privateKey,
      timeoutMs: 5000,
    });
    expect(result).toMatchObject({ ok: true, hostKey: server.hostKey });
  });

  it('reports an authentication failure for a key the node does not accept', async () => {
    const result = await probeNode({
      ips: ['127.0.0.1'],
      port: server.port,
      user,
      privateKey: stranger,
      timeoutMs: 5000,
    });
    expect(result).toMatchObject({ ok: false, code: 'AuthFailed' });
    expect(!result.ok && result.reason).toMatch(/127\.0\.0\.1: authentication as "herd" .*refused/);
  });

  it('accepts the pinned key and refuses a different one as "host key changed"', async () => {
    const common = {
      ips: ['127.0.0.1'],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      timeoutMs: 5000,
    };
    expect(await probeNode({ ...common, pinnedHostKey: server.hostKey })).toMatchObject({ ok: true });
    const other = ssh2.utils.parseKey(testKeyPair().public) as ssh2.ParsedKey;
    const wrongPin = `ssh-ed25519 ${other.getPublicSSH().toString('base64')}`;
    const before = server.commands.length;
    const result = await probeNode({ ...common, pinnedHostKey: wrongPin });
    expect(result).toMatchObject({ ok: false, code: 'HostKeyChanged' });
    expect(!result.ok && result.reason).toMatch(
      /host key changed: pinned ssh-ed25519 SHA256:.*, got ssh-ed25519 SHA256:/,
    );
    // Refused before authentication: nothing ran on the impostor.
    expect(server.commands.length).toBe(before);
  });

  it('prefers the first IP in list order that answers, skipping a dead one', async () => {
    // 127.0.0.2 has nothing listening on the port: connection refused.
    const result = await probeNode({
      ips: ['127.0.0.2', '127.0.0.3', '127.0.0.1'],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      timeoutMs: 5000,
    });
    expect(result).toMatchObject({ ok: true, ip: '127.0.0.3' });
  });

  it('connects through ssh_proxy_command with %h and %p expanded', async () => {
    const log = join(dir, 'proxy.log');
    const pipe = join(import.meta.dirname, 'tcp-pipe.mjs');
    const result = await probeNode({
      ips: ['127.0.0.3'],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      timeoutMs: 5000,
      proxyCommand: `${process.execPath} ${pipe} %h %p ${log}`,
    });
    expect(result).toEqual({ ok: true, ip: '127.0.0.3', hostKey: server.hostKey });
    expect(await readFile(log, 'utf8')).toBe(`127.0.0.3 ${server.port}\n`);
  });

  it('reports a proxy command that exits, with its last error line', async () => {
    const result = await probeNode({
      ips: ['127.0.0.1'],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      timeoutMs: 5000,
      proxyCommand: 'echo "bastion: permission denied" >&2; exit 3',
    });
    expect(result).toMatchObject({ ok: false, code: 'Unreachable' });
    expect(!result.ok && result.reason).toMatch(
      /ssh_proxy_command .* exited with 3: bastion: permission denied/,
    );
  });

  it('names every IP and the reason when none answers', async () => {
    const result = await probeNode({
      ips: ['127.0.0.2', '127.0.0.4'],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      timeoutMs: 5000,
    });
    expect(result).toEqual({
      ok: false,
      code: 'Unreachable',
      reason: `127.0.0.2: connection refused on port ${server.port}; 127.0.0.4: connection refused on port ${server.port}`,
    });
  });

  it('reports a node without IPs and an unusable key without connecting', async () => {
    const common = { port: server.port, user, timeoutMs: 5000 };
    expect(await probeNode({ ...common, ips: [], privateKey: ed25519.privateKey })).toMatchObject({
      ok: false,
      code: 'NoAddress',
    });
    expect(await probeNode({ ...common, ips: ['127.0.0.1'], privateKey: 'not a key' })).toMatchObject({
      ok: false,
      code: 'KeyInvalid',
    });
  });
});

describe('probeNodes', () => {
  it('returns one result per node in input order', async () => {
    const results = await probeNodes(
      [
        { name: 'a', ips: ['127.0.0.2'] },
        { name: 'b', ips: ['127.0.0.1'] },
        { name: 'c', ips: ['127.0.0.3'] },
      ],
      { port: server.port, user, privateKey: ed25519.privateKey, timeoutMs: 5000, concurrency: 1 },
    );
    expect(results.map((r) => (r.ok ? r.ip : r.code))).toEqual(['Unreachable', '127.0.0.1', '127.0.0.3']);
  });
});

describe('waitForSsh', () => {
  it('returns ready nodes and fails the others at the deadline with the last reason', async () => {
    const events: string[] = [];
    const started = Date.now();
    const results = await waitForSsh({
      nodes: [
        { name: 'up', ips: ['127.0.0.1'] },
        { name: 'down', ips: ['127.0.0.2'] },
      ],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      deadline: Date.now() + 1500,
      probeTimeoutMs: 1000,
      onProgress: (e) => events.push(`${e.node}#${e.attempt}:${e.result.ok ? 'ok' : e.result.code}`),
    });
    const elapsed = Date.now() - started;
    expect(results[0]).toMatchObject({
      name: 'up',
      status: 'ready',
      ip: '127.0.0.1',
      hostKey: server.hostKey,
    });
    expect(results[1]).toMatchObject({ name: 'down', status: 'failed', code: 'Unreachable' });
    expect(results[1]!.status === 'failed' && results[1]!.reason).toMatch(
      /^no SSH before the start timeout; last error: 127\.0\.0\.2: connection refused/,
    );
    // Backoff 0.5 s then 1 s: about three attempts in 1.5 s, not hundreds.
    const downAttempts = events.filter((e) => e.startsWith('down#')).length;
    expect(downAttempts).toBeGreaterThanOrEqual(2);
    expect(downAttempts).toBeLessThanOrEqual(4);
    // It gave up only once the deadline had passed (no upper bound: timings are for benchmarks).
    expect(elapsed).toBeGreaterThanOrEqual(1400);
  });

  it('fails a node at once when it is gone, while the live one is still probed', async () => {
    let asked = 0;
    const results = await waitForSsh({
      nodes: [
        { name: 'up', ips: ['127.0.0.1'] },
        { name: 'dead', ips: ['127.0.0.2'] },
      ],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      // Far beyond the test timeout: only the gone check can end the wait for `dead`.
      deadline: Date.now() + 600_000,
      probeTimeoutMs: 1000,
      backoffMs: { initial: 50, max: 100 },
      nodeGone: (name) => {
        if (name !== 'dead') return undefined;
        asked++;
        return asked > 2 ? 'its container exited; console: Too many open files' : undefined;
      },
    });
    expect(results[0]).toMatchObject({ name: 'up', status: 'ready' });
    expect(results[1]).toEqual({
      name: 'dead',
      status: 'failed',
      code: 'NodeGone',
      reason: 'its container exited; console: Too many open files',
      attempts: 2,
    });
  });

  it('stops retrying a node whose host key changed', async () => {
    const other = ssh2.utils.parseKey(testKeyPair().public) as ssh2.ParsedKey;
    const results = await waitForSsh({
      nodes: [
        {
          name: 'n',
          ips: ['127.0.0.1'],
          pinnedHostKey: `ssh-ed25519 ${other.getPublicSSH().toString('base64')}`,
        },
      ],
      port: server.port,
      user,
      privateKey: ed25519.privateKey,
      deadline: Date.now() + 20_000,
      probeTimeoutMs: 5000,
    });
    expect(results[0]).toMatchObject({ status: 'failed', code: 'HostKeyChanged', attempts: 1 });
    const failed = results[0]!;
    if (failed.status !== 'failed') throw new Error('expected a failure');
    const error = sshFailureError('mycluster', 'n', failed);
    expect(error).toMatchObject({ name: 'SshError', code: 'HostKeyChanged', exitCode: 1 });
    expect(error.message).toMatch(
      /^Node n of cluster mycluster: 127\.0\.0\.1: host key changed: pinned ssh-ed25519 SHA256:/,
    );
    expect(error.hint).toMatch(/herd remove-node mycluster n/);
  });

  it('throws AbortError when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expect(
      waitForSsh({
        nodes: [{ name: 'down', ips: ['127.0.0.2'] }],
        port: server.port,
        user,
        privateKey: ed25519.privateKey,
        deadline: Date.now() + 20_000,
        probeTimeoutMs: 1000,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'Interrupted', exitCode: 130 });
  });
});
