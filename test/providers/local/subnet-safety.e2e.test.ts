/**
 * The local provider's bridge safety, reproduced in a network namespace of its own (never on the
 * host's tables): a subnet under a routed network (a VPN) or on a public range is refused, an
 * existing bridge herd did not create is never used, /31 and /32 addresses on the host are handled,
 * and NAT and forwarding apply to herd's bridges only. herd's bridge code runs inside the namespace
 * (the built dist/, through `ip netns exec`), with its lease files in a temp directory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli.js';

const NS = `herd-hhd-${process.pid}`;
const canUseNetns =
  process.getuid?.() === 0 &&
  spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('nft', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs a command inside the test's namespace and returns its stdout. */
function inNs(command: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS, command, ...args], { encoding: 'utf8' });
}

/** Whether a command inside the namespace succeeds. */
function inNsOk(command: string, ...args: string[]): boolean {
  return spawnSync('ip', ['netns', 'exec', NS, command, ...args], { stdio: 'ignore' }).status === 0;
}

interface BridgeResult {
  ok: boolean;
  code?: string;
  message?: string;
  result?: unknown;
}

const DRIVER = `
const [distDir, json] = process.argv.slice(2);
const { ensureBridge, tearDownIfUnused } = await import(distDir + '/providers/local/network.js');
const { parseSubnet } = await import(distDir + '/providers/local/subnet.js');
const request = JSON.parse(json);
const net = { bridge: request.bridge, subnet: parseSubnet(request.subnet), nat: request.nat, runDir: request.runDir, section: 'cloud/t' };
const log = { info() {}, warn() {}, debug() {} };
try {
  const result = request.op === 'up' ? await ensureBridge(net, log) : await tearDownIfUnused(net, log);
  console.log(JSON.stringify({ ok: true, result }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
}
`;

let work: string;
let driver: string;
let runDir: string;

/** Asks herd's bridge code, inside the namespace, to set up (`up`) or tear down (`down`) a bridge. */
function bridge(op: 'up' | 'down', name: string, subnet: string, nat = true): BridgeResult {
  const request = JSON.stringify({ op, bridge: name, subnet, nat, runDir });
  const out = inNs(process.execPath, driver, join(repoRoot, 'dist'), request);
  return JSON.parse(out.trim().split('\n').at(-1)!) as BridgeResult;
}

function routes(): string {
  return inNs('ip', '-4', 'route', 'show', 'table', 'all');
}

describe.skipIf(!canUseNetns)('local bridge safety in a network namespace', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'herd-netns-'));
    driver = join(work, 'driver.mjs');
    runDir = join(work, 'run');
    await writeFile(driver, DRIVER);
    execFileSync('ip', ['netns', 'add', NS]);
    // A new namespace inherits the host's IPv4 forwarding (net.core.devconf_inherit_init_net=0 keeps
    // init_net's conf/all), which another herd cluster on this host may have turned on: start from off.
    inNs('sysctl', '-qw', 'net.ipv4.ip_forward=0');
    inNs('ip', 'link', 'set', 'lo', 'up');
    // A VPN-like interface with a routed network, and addresses the old code could not parse.
    inNs('ip', 'link', 'add', 'hhd9', 'type', 'veth', 'peer', 'name', 'hhd8');
    inNs('ip', 'link', 'set', 'hhd9', 'up');
    inNs('ip', 'route', 'add', '10.111.0.0/16', 'dev', 'hhd9');
    inNs('ip', 'addr', 'add', '10.113.0.9/32', 'dev', 'lo');
    inNs('ip', 'addr', 'add', '10.113.1.0/31', 'dev', 'hhd9');
  });

  afterAll(async () => {
    // Deleting the namespace removes its interfaces, routes and nft tables with it.
    spawnSync('ip', ['netns', 'delete', NS], { stdio: 'ignore' });
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('starts from a namespace without forwarding', () => {
    expect(inNs('cat', '/proc/sys/net/ipv4/ip_forward').trim()).toBe('0');
  });

  it('refuses a subnet under a routed network, leaving the route alone', () => {
    const before = routes();
    const result = bridge('up', 'hhd0', '10.111.5.0/24');
    expect(result).toMatchObject({ ok: false, code: 'LocalSubnetInUse' });
    expect(result.message).toMatch(
      /overlaps the route "10\.111\.0\.0\/16 dev hhd9": a bridge on it would take that traffic away from hhd9/,
    );
    expect(inNsOk('ip', 'link', 'show', 'hhd0')).toBe(false);
    expect(routes()).toBe(before);
  });

  it('refuses a public range', () => {
    const result = bridge('up', 'hhd0', '8.8.8.0/24');
    expect(result).toMatchObject({ ok: false, code: 'LocalSubnetNotPrivate' });
    expect(result.message).toMatch(/8\.8\.8\.0\/24 is not a private network/);
    expect(inNsOk('ip', 'link', 'show', 'hhd0')).toBe(false);
  });

  it('never adopts a bridge (or another interface) it did not create', async () => {
    inNs('ip', 'link', 'add', 'hhd1', 'type', 'bridge');
    inNs('ip', 'addr', 'add', '10.112.0.1/24', 'dev', 'hhd1');
    inNs('ip', 'link', 'set', 'hhd1', 'up');
    const result = bridge('up', 'hhd1', '10.112.0.0/24');
    expect(result).toMatchObject({ ok: false, code: 'LocalBridgeNotOwned' });
    expect(result.message).toMatch(
      /Interface hhd1 exists and herd did not create it \(it is a bridge without herd's mark\)/,
    );
    // No lease file: nothing will ever be leased on it, nor will herd remove it.
    expect((await readdir(runDir).catch(() => [])).filter((f) => f.startsWith('hhd1.json'))).toEqual([]);
    expect(inNsOk('ip', 'link', 'show', 'hhd1')).toBe(true);

    const veth = bridge('up', 'hhd9', '10.112.1.0/24');
    expect(veth).toMatchObject({ ok: false, code: 'LocalBridgeNotOwned' });
    expect(veth.message).toMatch(/it is a veth interface/);
  });

  it('handles /31 and /32 addresses on the host: a conflict with one is named, a free subnet works', () => {
    const conflict = bridge('up', 'hhd2', '10.113.0.0/24');
    expect(conflict).toMatchObject({ ok: false, code: 'LocalSubnetInUse' });
    expect(conflict.message).toMatch(/overlaps 10\.113\.0\.9\/32 on interface lo/);
    const free = bridge('up', 'hhd2', '10.114.0.0/24');
    expect(free).toEqual({ ok: true, result: '10.114.0.1' });
  });

  it('marks its bridge, uses it again, and limits NAT and forwarding to its bridges', () => {
    expect(JSON.parse(inNs('ip', '-j', 'link', 'show', 'dev', 'hhd2'))[0].ifalias).toBe('herd-bridge');
    expect(bridge('up', 'hhd2', '10.114.0.0/24')).toEqual({ ok: true, result: '10.114.0.1' });
    expect(bridge('up', 'hhd3', '10.114.1.0/24')).toEqual({ ok: true, result: '10.114.1.1' });

    const nat = inNs('nft', 'list', 'table', 'ip', 'herd_hhd2');
    expect(nat).toMatch(/iifname "hhd2" ip saddr 10\.114\.0\.0\/24 oifname != "hhd2" masquerade/);
    expect(inNs('cat', '/proc/sys/net/ipv4/ip_forward').trim()).toBe('1');
    const forward = inNs('nft', 'list', 'table', 'ip', 'herd_forward');
    expect(forward).toMatch(/policy drop/);
    expect(forward).toMatch(/iifname \{ "hhd2", "hhd3" \} accept/);
    expect(forward).toMatch(/oifname \{ "hhd2", "hhd3" \} ct state established,related accept/);
    expect(forward).toMatch(
      /meta iifkind "bridge" update @bridged \{ iif \. iif \} iif \. oif @bridged accept/,
    );
  });

  it('takes everything down with its last bridge: NAT, the filter, and forwarding back off', () => {
    expect(bridge('down', 'hhd2', '10.114.0.0/24')).toEqual({ ok: true, result: true });
    expect(inNs('nft', 'list', 'table', 'ip', 'herd_forward')).toMatch(/iifname "hhd3" accept/);
    expect(inNs('cat', '/proc/sys/net/ipv4/ip_forward').trim()).toBe('1');
    expect(bridge('down', 'hhd3', '10.114.1.0/24')).toEqual({ ok: true, result: true });
    expect(inNsOk('ip', 'link', 'show', 'hhd2')).toBe(false);
    expect(inNsOk('ip', 'link', 'show', 'hhd3')).toBe(false);
    expect(inNsOk('nft', 'list', 'table', 'ip', 'herd_hhd2')).toBe(false);
    expect(inNsOk('nft', 'list', 'table', 'ip', 'herd_forward')).toBe(false);
    expect(inNs('cat', '/proc/sys/net/ipv4/ip_forward').trim()).toBe('0');
    // The foreign bridge is still there, untouched.
    expect(inNsOk('ip', 'link', 'show', 'hhd1')).toBe(true);
  });
});
