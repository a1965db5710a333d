import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { launcherPending } from '../../../src/providers/local/node.js';
import {
  buildLauncherArgs,
  buildNspawnArgs,
  isNodeProcess,
  isNspawnCmdline,
  shellQuote,
} from '../../../src/providers/local/nspawn.js';
import { readCmdline, readStartTime } from '../../../src/util/proc.js';

function statOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

describe('buildNspawnArgs', () => {
  it('boots the node on the bridge without a system bus, with /dev/fuse', () => {
    expect(buildNspawnArgs({ rootDir: '/s/n/merged', machine: 'c-compute001', bridge: 'herdbr0' })).toEqual([
      '--boot',
      '--directory=/s/n/merged',
      '--machine=c-compute001',
      '--network-bridge=herdbr0',
      '--register=no',
      '--keep-unit',
      '--console=read-only',
      '--bind=/dev/fuse',
    ]);
  });

  it('binds the devices it is given', () => {
    const args = buildNspawnArgs({ rootDir: '/r', machine: 'm', bridge: 'b', devices: [] });
    expect(args.some((a) => a.startsWith('--bind'))).toBe(false);
  });
});

describe('buildLauncherArgs', () => {
  it('joins the cgroups, then execs the command with its arguments untouched', () => {
    const args = buildLauncherArgs(
      ['/sys/fs/cgroup/systemd/herd/m/cgroup.procs', "/odd dir/it's"],
      'systemd-nspawn',
      ['--machine=m', 'a b'],
    );
    expect(args).toEqual([
      '-c',
      `echo $$ > /sys/fs/cgroup/systemd/herd/m/cgroup.procs && echo $$ > '/odd dir/it'\\''s' && exec "$@"`,
      'herd-node',
      'systemd-nspawn',
      '--machine=m',
      'a b',
    ]);
  });

  it('quotes for sh', () => {
    expect(shellQuote('plain/path-1.x')).toBe('plain/path-1.x');
    expect(shellQuote("a'b c")).toBe(`'a'\\''b c'`);
  });
});

describe('isNspawnCmdline', () => {
  it.each([
    [['systemd-nspawn', '--boot', '--machine=c-n1'], true],
    [['/usr/bin/systemd-nspawn', '-M', 'c-n1', '-b'], true],
    [['/bin/sh', '-c', 'exec "$@"', 'herd-node', 'systemd-nspawn', '--machine=c-n1'], true],
    [['systemd-nspawn', '--machine=c-n10'], false],
    [['sleep', '--machine=c-n1'], false],
    [['vim', 'systemd-nspawn'], false],
  ])('%j -> %s', (argv, expected) => {
    expect(isNspawnCmdline(argv, 'c-n1')).toBe(expected);
  });
});

describe('isNodeProcess', () => {
  it('trusts a PID only if its command line is that nspawn and its start time matches', async () => {
    const lookalike = spawn('/bin/sh', ['-c', 'sleep 30; true', 'systemd-nspawn', '--machine=c-n1'], {
      stdio: 'ignore',
    });
    try {
      await new Promise((resolve) => lookalike.once('spawn', resolve));
      const pid = lookalike.pid!;
      const start = readStartTime(pid)!;
      expect(isNodeProcess(pid, 'c-n1', start)).toBe(true);
      expect(isNodeProcess(pid, 'c-n1', String(Number(start) + 1))).toBe(false);
      expect(isNodeProcess(pid, 'c-n2', start)).toBe(false);
      expect(isNodeProcess(process.pid, 'c-n1')).toBe(false);
      expect(isNodeProcess(undefined, 'c-n1')).toBe(false);
      expect(isNodeProcess(1, 'c-n1')).toBe(false);
    } finally {
      lookalike.kill('SIGKILL');
    }
  });
});

describe('launcherPending', () => {
  it('is false for a live process with a command line (nspawn or not), a dead one and no PID', async () => {
    const child = spawn(
      '/bin/sh',
      ['-c', 'sleep 30; true', 'herd-node', 'systemd-nspawn', '--machine=c-n1'],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((resolve) => child.once('spawn', resolve));
    const record = { pid: child.pid!, pidStartTime: readStartTime(child.pid!)! };
    // A running program has a command line: whether it is the node is isNodeProcess's question.
    expect(launcherPending(record)).toBe(false);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(launcherPending(record)).toBe(false);
    expect(launcherPending({ pid: undefined })).toBe(false);
  });

  // A kernel thread is alive, not a zombie, and has an empty /proc/PID/cmdline, as a process has for the
  // moment the kernel swaps its program.
  const kernelThread = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .find(
      (pid) =>
        readCmdline(pid) === undefined && readStartTime(pid) !== undefined && !/\) Z /.test(statOf(pid)),
    );
  it.skipIf(kernelThread === undefined)(
    'is true while a live process shows no command line, as during exec',
    () => {
      const pid = kernelThread!;
      expect(launcherPending({ pid, pidStartTime: readStartTime(pid)! })).toBe(true);
      expect(launcherPending({ pid, pidStartTime: String(Number(readStartTime(pid)!) + 1) })).toBe(false);
    },
  );
});
