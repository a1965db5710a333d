import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostRequirementError } from '../../../src/errors.js';
import {
  ensureHostLimits,
  MAX_BRIDGE_NODES,
  planLimitChanges,
  readSysctl,
  SCALED_LIMITS,
  sysctlCommand,
} from '../../../src/providers/local/host-limits.js';

/** This machine's defaults, where 31 nodes failed before herd raised anything. */
const HOST = {
  'fs.inotify.max_user_instances': 128,
  'fs.inotify.max_user_watches': 192_536,
  'net.ipv4.neigh.default.gc_thresh3': 1024,
  'kernel.pid_max': 32_768,
  'kernel.keys.root_maxkeys': 1_000_000,
  'kernel.pty.max': 4096,
};

describe('planLimitChanges', () => {
  it('raises nothing for a small cluster', () => {
    expect(planLimitChanges(HOST, 0)).toEqual([]);
  });

  it('raises inotify instances past 5 nodes, and the neighbour table at 100', () => {
    expect(planLimitChanges(HOST, 5)).toEqual([]);
    expect(planLimitChanges(HOST, 10)).toEqual([
      { key: 'fs.inotify.max_user_instances', from: 128, to: 256 },
    ]);
    expect(planLimitChanges(HOST, 100)).toEqual([
      { key: 'fs.inotify.max_user_instances', from: 128, to: 1280 },
      { key: 'net.ipv4.neigh.default.gc_thresh3', from: 1024, to: 1152 },
    ]);
  });

  it('never lowers a limit and skips one the kernel does not have', () => {
    const high = { ...HOST, 'fs.inotify.max_user_instances': 100_000 };
    const { 'net.ipv4.neigh.default.gc_thresh3': _gone, ...without } = high;
    expect(planLimitChanges(without, 100)).toEqual([]);
  });

  it('writes the fix as one sysctl command', () => {
    expect(sysctlCommand(planLimitChanges(HOST, 100))).toBe(
      'sysctl -w fs.inotify.max_user_instances=1280 net.ipv4.neigh.default.gc_thresh3=1152',
    );
  });
});

describe('ensureHostLimits', () => {
  let procSys: string;
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), warn() {}, debug() {} };
  const file = (key: string) => join(procSys, ...key.split('.'));

  beforeEach(() => {
    procSys = mkdtempSync(join(tmpdir(), 'herd-sysctl-'));
    lines.length = 0;
    for (const [key, value] of Object.entries(HOST)) {
      mkdirSync(dirname(file(key)), { recursive: true });
      writeFileSync(file(key), `${value}\n`);
    }
  });
  afterEach(() => rmSync(procSys, { recursive: true, force: true }));

  it('raises what the nodes on the host need, counting those already running, and says so', () => {
    const changes = ensureHostLimits({
      adding: 60,
      onBridge: 60,
      bridge: 'br0',
      log,
      procSys,
      hostNodes: 40,
    });
    expect(changes.map((c) => c.key)).toEqual([
      'fs.inotify.max_user_instances',
      'net.ipv4.neigh.default.gc_thresh3',
    ]);
    expect(readSysctl('fs.inotify.max_user_instances', procSys)).toBe(1280);
    expect(readFileSync(file('fs.inotify.max_user_watches'), 'utf8')).toBe('192536\n');
    expect(lines.join('\n')).toMatch(
      /Raised host limits for 100 local nodes: fs\.inotify\.max_user_instances 128 -> 1280/,
    );
  });

  it('changes nothing and says nothing when the host has enough', () => {
    expect(ensureHostLimits({ adding: 2, onBridge: 2, bridge: 'br0', log, procSys, hostNodes: 0 })).toEqual(
      [],
    );
    expect(lines).toEqual([]);
  });

  it('refuses with the exact sysctl command when the kernel will not take a value', () => {
    const write = (path: string, value: string) => {
      if (path.endsWith('gc_thresh3')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      writeFileSync(path, value);
    };
    const run = () =>
      ensureHostLimits({ adding: 100, onBridge: 100, bridge: 'br0', log, procSys, hostNodes: 0, write });
    expect(run).toThrow(HostRequirementError);
    expect(run).toThrow(/net\.ipv4\.neigh\.default\.gc_thresh3 is 1024, needs 1152/);
    const error = (() => {
      try {
        run();
      } catch (thrown) {
        return thrown as HostRequirementError;
      }
      return undefined;
    })();
    expect(error?.hint).toMatch(/^Run `sysctl -w net\.ipv4\.neigh\.default\.gc_thresh3=1152` as root/);
  });

  it('refuses a bridge past the kernel port limit before changing anything', () => {
    const run = () =>
      ensureHostLimits({
        adding: 30,
        onBridge: MAX_BRIDGE_NODES + 1,
        bridge: 'br0',
        log,
        procSys,
        hostNodes: 0,
      });
    expect(run).toThrow(HostRequirementError);
    expect(run).toThrow(/a Linux bridge takes at most 1023[\s\S]*/);
    expect(readSysctl('fs.inotify.max_user_instances', procSys)).toBe(128);
  });

  it('lists each scaled limit once', () => {
    expect(new Set(SCALED_LIMITS.map((l) => l.key)).size).toBe(SCALED_LIMITS.length);
  });
});
