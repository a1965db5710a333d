/**
 * herd's forward filter (`ip herd_forward`) on real packets, in network namespaces of the test's own
 * (never the host's tables or sysctls; br_netfilter's sysctls are per namespace). A namespace plays
 * the host: a foreign bridge with two peers on it (a libvirt or Docker bridge), a herd bridge with a
 * node, an uplink and one more plain network. With forwarding on and bridge-nf-call-iptables=1, as on
 * Docker and Kubernetes hosts, herd's real rules must pass the frames bridged inside the foreign
 * bridge, drop what is routed between non-herd networks, and pass the herd bridge's traffic and the
 * replies to it. Each case is a TCP connect: "connected", or "timeout" when a filter drops the SYN.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BRIDGED_SET,
  BRIDGED_SET_SIZE,
  FORWARD_TABLE,
  forwardFilterRules,
} from '../../../src/providers/local/nat.js';

const PREFIX = 'hfw';
const ID = `${PREFIX}${process.pid}`;
/** The namespaces: the host, two peers on a foreign bridge, a herd node, the uplink, another network. */
const NS = { host: `${ID}-h`, a: `${ID}-a`, b: `${ID}-b`, node: `${ID}-n`, up: `${ID}-u`, x: `${ID}-x` };
const ADDR = { a: '10.71.1.2', b: '10.71.1.3', node: '10.71.2.2', up: '10.71.3.2', x: '10.71.4.2' };
const PORT = 7070;
/** How long a connect may take before it counts as dropped (a connect in a namespace takes < 10 ms). */
const DROP_MS = 2000;

const isRoot = process.getuid?.() === 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inNs(ns: string, command: string, args: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, command, ...args], {
    encoding: 'utf8',
    input,
    stdio: 'pipe',
  });
}

const SERVER = `
const server = require('node:net').createServer((socket) => socket.end());
server.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));
`;

// A connect counts as dropped only if, once the time is up, the event loop has polled once more and
// still seen no answer: a client starved of CPU for that long does not mistake an answer for a drop.
const CLIENT = `
const [host, port, ms] = process.argv.slice(1);
const socket = require('node:net').connect({ host, port: Number(port) });
const finish = (result) => {
  if (socket.destroyed) return;
  console.log(result);
  clearTimeout(timer);
  socket.destroy();
};
const timer = setTimeout(() => setImmediate(() => finish('timeout')), Number(ms));
socket.on('connect', () => finish('connected'));
socket.on('error', (error) => finish(error.code));
`;

/** A TCP connect from one namespace to a listener: "connected", "timeout" or the error code. */
function connect(from: string, to: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', [
      'netns',
      'exec',
      from,
      process.execPath,
      '-e',
      CLIENT,
      to,
      String(PORT),
      String(DROP_MS),
    ]);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}

const servers: ChildProcess[] = [];

/** Starts a listener in a namespace and waits until it listens. */
function serve(ns: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, String(PORT)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    servers.push(child);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the listener in ${ns} exited with ${code}`)));
  });
}

/** A veth from the host namespace to a peer namespace (`eth0` there), with addresses and a default route. */
function link(
  peer: string,
  hostIf: string,
  peerAddr: string,
  gateway: string,
  on: { bridge?: string; hostAddr?: string },
) {
  ip('-n', NS.host, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer);
  if (on.bridge) ip('-n', NS.host, 'link', 'set', hostIf, 'master', on.bridge);
  if (on.hostAddr) ip('-n', NS.host, 'addr', 'add', on.hostAddr, 'dev', hostIf);
  ip('-n', NS.host, 'link', 'set', hostIf, 'up');
  ip('-n', peer, 'addr', 'add', `${peerAddr}/24`, 'dev', 'eth0');
  ip('-n', peer, 'link', 'set', 'eth0', 'up');
  ip('-n', peer, 'route', 'add', 'default', 'via', gateway);
}

function bridge(name: string, addr: string): void {
  ip('-n', NS.host, 'link', 'add', name, 'type', 'bridge');
  ip('-n', NS.host, 'addr', 'add', addr, 'dev', name);
  ip('-n', NS.host, 'link', 'set', name, 'up');
}

/** Namespaces an earlier run of this test left behind when it was killed (its process is gone). */
function staleNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => {
      const pid = new RegExp(`^${PREFIX}(\\d+)-[a-z]$`).exec(name)?.[1];
      if (pid === undefined || Number(pid) === process.pid) return false;
      try {
        process.kill(Number(pid), 0);
        return false;
      } catch {
        return true;
      }
    });
}

function deleteNamespaces(names: readonly string[]): void {
  // Deleting a namespace removes its interfaces (both ends of each veth), routes and nft tables.
  for (const name of names) spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
}

/** The filter's set, as `nft -j` lists it: how many entries, and which bridges by name. */
function bridgedSet(): { count: number; pairs: string[] } {
  const json = JSON.parse(inNs(NS.host, 'nft', ['-j', 'list', 'set', 'ip', FORWARD_TABLE, BRIDGED_SET]));
  const set = json.nftables.find((entry: { set?: unknown }) => entry.set).set;
  const elems: { elem: { val: { concat: string[] } } }[] = set.elem ?? [];
  return { count: elems.length, pairs: elems.map((e) => e.elem.val.concat.join(' . ')) };
}

function setElements(op: 'add' | 'delete', elements: readonly string[]): void {
  inNs(
    NS.host,
    'nft',
    ['-f', '-'],
    `${op} element ip ${FORWARD_TABLE} ${BRIDGED_SET} { ${elements.join(', ')} }\n`,
  );
}

describe.skipIf(!isRoot)("herd's forward filter with br_netfilter, in network namespaces", () => {
  beforeAll(async () => {
    deleteNamespaces(staleNamespaces());
    for (const ns of Object.values(NS)) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // br_netfilter is built into some kernels (this machine's) and a module on others: load it only
    // when a namespace has no bridge-nf sysctls.
    if (spawnSync('ip', ['netns', 'exec', NS.host, 'test', '-d', '/proc/sys/net/bridge']).status !== 0) {
      const modprobe = spawnSync('modprobe', ['br_netfilter'], { encoding: 'utf8' });
      if (modprobe.status !== 0)
        throw new Error(`modprobe br_netfilter failed: ${modprobe.stderr}${modprobe.error ?? ''}`);
    }
    inNs(NS.host, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1']);
    bridge('fbr', '10.71.1.1/24');
    bridge('hbr', '10.71.2.1/24');
    link(NS.a, 'fa', ADDR.a, '10.71.1.1', { bridge: 'fbr' });
    link(NS.b, 'fb', ADDR.b, '10.71.1.1', { bridge: 'fbr' });
    link(NS.node, 'hn', ADDR.node, '10.71.2.1', { bridge: 'hbr' });
    link(NS.up, 'upl', ADDR.up, '10.71.3.1', { hostAddr: '10.71.3.1/24' });
    link(NS.x, 'xo', ADDR.x, '10.71.4.1', { hostAddr: '10.71.4.1/24' });
    await Promise.all([serve(NS.a), serve(NS.b), serve(NS.node), serve(NS.up)]);
  });

  afterAll(() => {
    for (const child of servers) if (child.pid !== undefined && child.exitCode === null) child.kill();
    deleteNamespaces(Object.values(NS));
  });

  it('has br_netfilter on in its host namespace, and every path works before herd filters', async () => {
    expect(inNs(NS.host, 'sysctl', ['-n', 'net.bridge.bridge-nf-call-iptables']).trim()).toBe('1');
    const results = await Promise.all([
      connect(NS.a, ADDR.b),
      connect(NS.a, ADDR.up),
      connect(NS.x, ADDR.up),
      connect(NS.node, ADDR.up),
      connect(NS.up, ADDR.node),
    ]);
    expect(results).toEqual(['connected', 'connected', 'connected', 'connected', 'connected']);
  });

  it('passes frames bridged inside a foreign bridge, both ways, under herd rules', async () => {
    inNs(NS.host, 'nft', ['-f', '-'], forwardFilterRules(['hbr']));
    expect(await connect(NS.a, ADDR.b)).toBe('connected');
    expect(await connect(NS.b, ADDR.a)).toBe('connected');
    // The foreign bridge is in the set as the pair that matched; no other interface is.
    expect(bridgedSet().pairs).toEqual(['fbr . fbr']);
  });

  it('drops what is routed between non-herd networks, from a bridge or not', async () => {
    const results = await Promise.all([
      connect(NS.a, ADDR.up),
      connect(NS.up, ADDR.a),
      connect(NS.x, ADDR.up),
      connect(NS.x, ADDR.b),
    ]);
    expect(results).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);
  });

  it("passes the herd bridge's traffic and the replies to it, and no new connection into it", async () => {
    expect(await connect(NS.node, ADDR.up)).toBe('connected');
    expect(await connect(NS.node, ADDR.a)).toBe('connected');
    expect(await connect(NS.up, ADDR.node)).toBe('timeout');
  });

  it('with its set full, keeps the bridges it holds and drops an unseen one until an entry expires', async () => {
    // Refresh the foreign bridge's entry (a minute to live), then fill the rest with entries of
    // interfaces that do not exist.
    expect(await connect(NS.a, ADDR.b)).toBe('connected');
    const { count } = bridgedSet();
    const fillers = Array.from(
      { length: BRIDGED_SET_SIZE - count },
      (_, i) => `${1_000_000 + i} . ${1_000_000 + i} timeout 10m`,
    );
    setElements('add', fillers);
    expect(() => setElements('add', ['999999 . 999999'])).toThrow(/Too many open files/); // ENFILE: full
    expect(await connect(NS.a, ADDR.b)).toBe('connected');

    // Now the foreign bridge is unseen: its entry gone, its slot taken.
    setElements('delete', ['"fbr" . "fbr"']);
    setElements('add', ['999999 . 999999 timeout 10m']);
    expect(await connect(NS.a, ADDR.b)).toBe('timeout');

    // A free slot again (an entry expired): the bridge is added back and its frames pass.
    setElements('delete', ['999999 . 999999']);
    expect(await connect(NS.a, ADDR.b)).toBe('connected');
    expect(bridgedSet().pairs).toContain('fbr . fbr');
  });
});
