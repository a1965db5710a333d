import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  buildLauncherArgs,
  buildNspawnArgs,
  isNodeProcess,
  isNspawnCmdline,
  shellQuote,
} from '../../../src/providers/local/nspawn.js';
import { readStartTime } from '../../../src/providers/local/proc.js';

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
