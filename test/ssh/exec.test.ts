/**
 * execOnNodes against an in-process SSH server on loopback that runs commands with /bin/sh on this
 * machine: output, exit codes, pinned host keys, and that a timeout or an abort really ends the
 * remote processes (the server's processes are ours to look at).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecOptions, type ExecResult, execOnNodes } from '../../src/ssh/exec.js';
import { generateKeyPair } from '../../src/ssh/keys.js';
import { type SshTestServer, startSshTestServer, testKeyPair } from './ssh-test-server.js';

let dir: string;
let key: Buffer;
let server: SshTestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-exec-'));
  const pair = await generateKeyPair(join(dir, 'id'), 'test');
  key = await readFile(pair.privatePath);
  server = await startSshTestServer({ authorizedKeys: [pair.publicKey], hosts: ['127.0.0.1', '127.0.0.3'] });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function nodes(...names: string[]) {
  return names.map((name, i) => ({
    name,
    host: i % 2 === 0 ? '127.0.0.1' : '127.0.0.3',
    port: server.port,
    hostKey: server.hostKey,
  }));
}

async function run(options: Partial<ExecOptions> & Pick<ExecOptions, 'targets' | 'command'>) {
  const output: { node: string; stream: string; text: string }[] = [];
  const results = await execOnNodes({
    user: 'herd',
    privateKey: key,
    connectTimeoutMs: 5000,
    concurrency: 8,
    onOutput: (node, stream, chunk) => output.push({ node, stream, text: chunk.toString() }),
    ...options,
  });
  const text = (node: string, stream: string) =>
    output
      .filter((o) => o.node === node && o.stream === stream)
      .map((o) => o.text)
      .join('');
  return { results, text };
}

/** Whether a process runs (a zombie waiting for its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  return !alive(pid);
}

describe('execOnNodes', () => {
  it('runs on every node, keeping stdout, stderr and each exit code apart', async () => {
    const { results, text } = await run({
      targets: nodes('node001', 'node002'),
      command: 'echo "out of $(hostname -s >/dev/null; echo sh)"; echo "to err" >&2; exit 3',
    });
    expect(results.map((r) => [r.node, r.status, r.exitCode])).toEqual([
      ['node001', 'exited', 3],
      ['node002', 'exited', 3],
    ]);
    expect(text('node001', 'stdout')).toBe('out of sh\n');
    expect(text('node002', 'stderr')).toBe('to err\n');
  });

  it('passes the command to the login shell as written (quotes, pipes, variables)', async () => {
    const { results, text } = await run({
      targets: nodes('node001'),
      command: `printf '%s|' "a  b" 'c'"'"'d' | tr '|' '\\n'; x=5; echo $((x + 1))`,
    });
    expect(results[0]!.exitCode).toBe(0);
    expect(text('node001', 'stdout')).toBe("a  b\nc'd\n6\n");
  });

  it('gives the command no stdin', async () => {
    const { text } = await run({ targets: nodes('node001'), command: 'cat; echo end' });
    expect(text('node001', 'stdout')).toBe('end\n');
  });

  it('refuses a node whose host key differs from the pinned one, without running anything', async () => {
    const before = server.commands.length;
    const other = testKeyPair();
    const wrongKey = `ssh-ed25519 ${other.public.split(' ')[1]}`;
    const { results } = await run({
      targets: [{ name: 'node001', host: '127.0.0.1', port: server.port, hostKey: wrongKey }],
      command: 'touch /tmp/never',
    });
    expect(results[0]).toMatchObject({ status: 'error', errorCode: 'HostKeyChanged', exitCode: null });
    expect(results[0]!.error).toMatch(
      /host key changed: pinned ssh-ed25519 SHA256:.*, got ssh-ed25519 SHA256:/,
    );
    expect(server.commands.length).toBe(before);
  });

  it('reports a node that cannot be reached and one that has no address, and still runs the others', async () => {
    const { results } = await run({
      targets: [
        ...nodes('node001'),
        { name: 'node002', host: '127.0.0.1', port: 1, hostKey: server.hostKey },
        { name: 'node003', unavailable: 'no reachable address (state: failed)', code: 'NoAddress' },
      ],
      command: 'true',
    });
    expect(results.map((r) => [r.node, r.status, r.errorCode ?? null])).toEqual([
      ['node001', 'exited', null],
      ['node002', 'error', 'SshUnreachable'],
      ['node003', 'error', 'NoAddress'],
    ]);
    expect(results[1]!.error).toContain('connection refused on port 1');
  });

  it('connects through ssh_proxy_command', async () => {
    const log = join(dir, 'proxy.log');
    const pipe = join(import.meta.dirname, 'tcp-pipe.mjs');
    const { results } = await run({
      targets: nodes('node001', 'node002'),
      command: 'echo via proxy',
      proxyCommand: `${process.execPath} ${pipe} %h %p ${log}`,
    });
    expect(results.map((r) => r.exitCode)).toEqual([0, 0]);
    expect((await readFile(log, 'utf8')).trim().split('\n').sort()).toEqual([
      `127.0.0.1 ${server.port}`,
      `127.0.0.3 ${server.port}`,
    ]);
  });

  it('ends the command and every process it started when a node times out', async () => {
    const pidFile = join(dir, 'timeout.pids');
    const { results } = await run({
      targets: nodes('node001'),
      command: `sleep 60 & echo $! > ${pidFile}; echo $$ >> ${pidFile}; echo started; wait`,
      timeoutMs: 1500,
    });
    expect(results[0]).toMatchObject({ node: 'node001', status: 'timeout' });
    expect(results[0]!.error).toMatch(/timed out after 1.5 s/);
    const pids = (await readFile(pidFile, 'utf8')).trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await gone(pid), `process ${pid}`).toBe(true);
  });

  it('ends the remote commands on abort, and does not start queued nodes', async () => {
    const pidFile = join(dir, 'abort.pids');
    const controller = new AbortController();
    const seen: ExecResult[] = [];
    const { results } = await run({
      targets: nodes('node001', 'node002'),
      concurrency: 1,
      command: `sleep 60 & echo $! >> ${pidFile}; echo ready; wait`,
      signal: controller.signal,
      onOutput: (_node, _stream, chunk) => {
        if (chunk.toString().includes('ready')) controller.abort();
      },
      onResult: (r) => seen.push(r),
    });
    expect(results.map((r) => [r.node, r.status])).toEqual([
      ['node001', 'cancelled'],
      ['node002', 'cancelled'],
    ]);
    expect(results[1]!.error).toBe('not started: interrupted');
    expect(seen.map((r) => r.node)).toEqual(['node001', 'node002']);
    const pids = (await readFile(pidFile, 'utf8')).trim().split('\n').map(Number);
    expect(pids).toHaveLength(1);
    expect(await gone(pids[0]!)).toBe(true);
  });
});
