/**
 * The fault matrix: herd SIGKILLed at each phase boundary of `start`, `resize` and `stop`, then
 * `herd stop` must leave nothing herd created, and `herd start NAME` must resume to a working
 * cluster. Kill points are driven by what herd prints (progress lines, Ansible output at -v), what
 * it writes (the state file, node files) or a request arriving at the cloud double, never by time.
 * Each cloud's test file supplies the kill triggers that need its double and the list of what herd
 * creates there; this module runs the cases and checks the outcome the same way for every cloud.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import type { CliResult } from './cli.js';
import { type HerdHome, slurmNodes, srunHostnames } from './cluster.js';
import { type HerdProcess, readStateFile, spawnHerd } from './herd-process.js';

/** A node record as the state file holds it (the fields the matrix looks at). */
export interface SavedNode {
  name: string;
  state: string;
  instanceId?: string;
  hostKey?: string;
  preferredIp?: string;
}

/** The state file (the fields the matrix looks at). */
export interface SavedState {
  id?: string;
  nodes: SavedNode[];
  setupCompletedAt?: string;
}

/** One cloud under test. */
export interface MatrixCloud {
  readonly home: HerdHome;
  /** Cluster (and template) name. */
  readonly cluster: string;
  /** The login user of the template (`image_user`). */
  readonly user: string;
  /** What herd created for the cluster and is still there, one line each; [] when nothing is. */
  leftovers(): Promise<string[]>;
  /** Waits until the cloud double has caught up with terminations (machines standing in for instances). */
  settle?(): Promise<void>;
}

/** Arms a kill on a run just started; returns what disarms it (cloud hooks), if anything. */
export type Arm = (run: HerdProcess, cloud: MatrixCloud) => (() => void) | undefined;

/** The state file of the cluster. */
export function stateFileOf(cloud: MatrixCloud): string {
  return join(cloud.home.storage, `${cloud.cluster}.json`);
}

/**
 * Kills the run once `test` holds for its state file, checked at every change of the file (polled
 * every 10 ms: the kill follows what herd wrote, the interval only bounds how late).
 */
export function killWhenState(test: (state: SavedState) => boolean): Arm {
  return (run, cloud) => {
    const file = stateFileOf(cloud);
    let stopped = false;
    void (async () => {
      while (!stopped && run.child.exitCode === null && run.child.signalCode === null) {
        const state = readStateFile<SavedState>(file);
        if (state && test(state)) {
          run.kill();
          return;
        }
        await sleep(10);
      }
    })();
    return () => {
      stopped = true;
    };
  };
}

/** Kills the run when its stderr matches `pattern`. */
export function killOnOutput(pattern: RegExp): Arm {
  return (run) => {
    run.killOnOutput(pattern);
    return undefined;
  };
}

/** Kills the run once a path under the storage dir that `find` returns exists (same polling as killWhenState). */
export function killWhenExists(find: (cloud: MatrixCloud) => string | undefined): Arm {
  return (run, cloud) => {
    let stopped = false;
    void (async () => {
      while (!stopped && run.child.exitCode === null && run.child.signalCode === null) {
        const path = find(cloud);
        if (path !== undefined && existsSync(path)) {
          run.kill();
          return;
        }
        await sleep(10);
      }
    })();
    return () => {
      stopped = true;
    };
  };
}

/**
 * Runs `herd ...args` with `arm` set and waits until it is gone; fails unless the matrix killed it
 * (a run that ends by itself never reached the kill point).
 */
export async function runUntilKilled(
  cloud: MatrixCloud,
  args: readonly string[],
  arm: Arm,
): Promise<CliResult> {
  const run = spawnHerd(args, cloud.home.env, 600_000);
  const disarm = arm(run, cloud);
  const result = await run.done;
  disarm?.();
  expect(result.signal, `herd ${args.join(' ')} was not killed:\n${result.stdout}\n${result.stderr}`).toBe(
    'SIGKILL',
  );
  expect(run.killed()).toBe(true);
  return result;
}

/** `herd ...args`, expected to succeed. */
export async function herdOk(cloud: MatrixCloud, args: readonly string[]): Promise<CliResult> {
  const r = await cloud.home.herd(args);
  expect(r.code, `herd ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/**
 * Every node of the cluster is `ready` with a pinned host key (in state and in known_hosts), and
 * answers `herd ssh` (which checks that key with StrictHostKeyChecking=yes); `slurm` also runs a job
 * on every compute node.
 */
export async function expectWorking(
  cloud: MatrixCloud,
  options: { nodes: readonly string[]; slurm?: boolean },
): Promise<void> {
  const state = readStateFile<SavedState>(stateFileOf(cloud))!;
  expect(state.nodes.map((n) => [n.name, n.state]).sort()).toEqual(
    [...options.nodes].sort().map((n) => [n, 'ready']),
  );
  const knownHosts = readFileSync(join(cloud.home.storage, `${cloud.cluster}.known_hosts`), 'utf8');
  for (const node of state.nodes) {
    expect(node.hostKey, node.name).toMatch(/^ssh-\S+ \S+/);
    expect(knownHosts).toContain(`${node.name} ${node.hostKey!.split(' ').slice(0, 2).join(' ')}`);
  }
  // Every node with the system ssh and only the pinned key (cheaper than a herd process per node)...
  const knownHostsFile = join(cloud.home.storage, `${cloud.cluster}.known_hosts`);
  await Promise.all(
    state.nodes.map(async (node) => {
      const r = await execa('ssh', [...pinnedSshArgs(cloud, knownHostsFile, node), 'true'], {
        reject: false,
      });
      expect(r.exitCode, `ssh to ${node.name} with its pinned key: ${r.stderr}`).toBe(0);
    }),
  );
  // ...and herd's own ssh to the frontend.
  const r = await cloud.home.herd(['ssh', cloud.cluster, '--', 'hostname']);
  expect(r.code, `herd ssh: ${r.stderr}`).toBe(0);
  if (options.slurm) {
    const compute = options.nodes.filter((n) => n.startsWith('compute')).sort();
    expect(await slurmNodes(cloud.home, cloud.cluster)).toEqual(new Map(compute.map((n) => [n, 'idle'])));
    expect(await srunHostnames(cloud.home, compute.length, cloud.cluster)).toEqual(compute);
  }
}

/** System ssh options that accept only the node's key pinned in herd's known_hosts (by node name). */
function pinnedSshArgs(cloud: MatrixCloud, knownHostsFile: string, node: SavedNode): string[] {
  return [
    '-i',
    join(cloud.home.storage, `${cloud.cluster}.key`),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `HostKeyAlias=${node.name}`,
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-l',
    cloud.user,
    node.preferredIp!,
  ];
}

/** `herd stop NAME --yes`, then nothing herd created is left and herd lists no cluster. */
export async function stopAndExpectNothingLeft(cloud: MatrixCloud): Promise<void> {
  await herdOk(cloud, ['stop', cloud.cluster, '--yes']);
  await cloud.settle?.();
  expect(await cloud.leftovers()).toEqual([]);
  const list = await herdOk(cloud, ['list', '--json']);
  expect(JSON.parse(list.stdout).clusters).toEqual([]);
}

/** ansible-playbook processes working on this storage dir's clusters (an orphan of a killed herd). */
export function ansibleProcessesUnder(storage: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes('ansible-playbook')) && argv.some((a) => a.includes(storage)))
        pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

/** What a kill left, for the log of a matrix case: node states as saved. */
export function describeState(cloud: MatrixCloud): string {
  const state = readStateFile<SavedState>(stateFileOf(cloud));
  if (!state) return 'no state file';
  return state.nodes.map((n) => `${n.name}=${n.state}${n.instanceId ? '' : '(no instance)'}`).join(' ');
}

/** One kill point. */
export interface MatrixCase {
  /** The phase boundary, e.g. `intent saved`. */
  readonly phase: string;
  readonly command: 'start' | 'resize' | 'stop';
  readonly arm: Arm;
  /** The run is killed while Ansible runs: it runs setup (-v), and the resume checks a working Slurm. */
  readonly setup?: boolean;
}

/** The nodes of the matrix's cluster as its template starts it. */
export const BASE_NODES = ['frontend001', 'compute001'] as const;

/** The node names of the cluster as its state file has them (none without one). */
function savedNodes(cloud: MatrixCloud): string[] {
  return readStateFile<SavedState>(stateFileOf(cloud))?.nodes.map((n) => n.name) ?? [];
}

/** No cluster: a left-over one (from the case before) is stopped, which must leave nothing. */
export async function ensureNone(cloud: MatrixCloud): Promise<void> {
  if (existsSync(stateFileOf(cloud))) await stopAndExpectNothingLeft(cloud);
}

/**
 * A working cluster: the one the case before left (every node ready) is reused, else one is started
 * (`--no-setup`) from the template.
 */
export async function ensureWorking(cloud: MatrixCloud): Promise<void> {
  const state = readStateFile<SavedState>(stateFileOf(cloud));
  if (state && state.nodes.length > 0 && state.nodes.every((n) => n.state === 'ready')) return;
  await ensureNone(cloud);
  await herdOk(cloud, ['start', cloud.cluster, '--no-setup']);
  await expectWorking(cloud, { nodes: BASE_NODES });
}

/** The command line a case kills. */
function commandOf(cloud: MatrixCloud, c: MatrixCase): string[] {
  switch (c.command) {
    case 'start':
      return c.setup ? ['start', cloud.cluster, '-v'] : ['start', cloud.cluster, '--no-setup'];
    case 'resize':
      return ['resize', cloud.cluster, '-a', `1:compute`, ...(c.setup ? ['-v'] : ['--no-setup'])];
    case 'stop':
      return ['stop', cloud.cluster, '--yes'];
  }
}

/**
 * Runs one case: its precondition (no cluster for start, a working one for resize and stop), the
 * killed command, then either `herd stop` (nothing left) or `herd start NAME` (a working cluster with
 * every node it should have, each once on the cloud). The resumed cluster is left running for the
 * next case: a resize or stop case works on it, a start case stops it first (checking that nothing
 * is left then).
 */
export async function runCase(
  cloud: MatrixCloud,
  c: MatrixCase,
  then: 'stop' | 'resume',
  liveInstances: () => Promise<string[]>,
  log: (line: string) => void = console.log,
): Promise<void> {
  if (c.command === 'start') await ensureNone(cloud);
  else await ensureWorking(cloud);
  const started = Date.now();
  await runUntilKilled(cloud, commandOf(cloud, c), c.arm);
  log(`${c.command} killed at ${c.phase} after ${Date.now() - started} ms: ${describeState(cloud)}`);
  // What the resume must bring up: a start's nodes, the nodes a resize was adding or a stop removing.
  const nodes = c.command === 'start' ? [...BASE_NODES] : savedNodes(cloud);
  await cloud.settle?.();
  if (then === 'stop') {
    await stopAndExpectNothingLeft(cloud);
    return;
  }
  await herdOk(cloud, ['start', cloud.cluster, ...(c.setup ? [] : ['--no-setup'])]);
  await expectWorking(cloud, { nodes, slurm: c.setup === true });
  const state = readStateFile<SavedState>(stateFileOf(cloud))!;
  expect((await liveInstances()).sort()).toEqual(state.nodes.map((n) => n.instanceId!).sort());
  expect(ansibleProcessesUnder(cloud.home.storage)).toEqual([]);
}

/**
 * Defines the matrix's tests for one cloud: each case once checked with `herd stop` and once with a
 * resume, then a last `herd stop` of whatever the last resume left. `check` runs after every case
 * (the cloud double's own errors).
 */
export function defineMatrix(options: {
  cloud: () => MatrixCloud;
  cases: readonly MatrixCase[];
  liveInstances: () => Promise<string[]>;
  check?: () => void;
}): void {
  for (const c of options.cases) {
    // A resize or stop resumed first leaves a working cluster for the same kill point checked with stop.
    const order = c.command === 'start' ? (['stop', 'resume'] as const) : (['resume', 'stop'] as const);
    for (const then of order) {
      const outcome =
        then === 'stop' ? 'herd stop leaves nothing' : 'herd start resumes to a working cluster';
      it(`${c.command} killed at ${c.phase}: ${outcome}`, async () => {
        await runCase(options.cloud(), c, then, options.liveInstances);
        options.check?.();
      });
    }
  }
  it('in the end, herd stop leaves nothing', async () => {
    const cloud = options.cloud();
    if (existsSync(stateFileOf(cloud))) await stopAndExpectNothingLeft(cloud);
    expect(await cloud.leftovers()).toEqual([]);
  });
}
