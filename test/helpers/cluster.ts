/** Fixtures for end-to-end tests that drive the herd CLI against real local nodes. */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CliResult, makeTempDir, runHerd } from './cli.js';
import { localSlurmConfig } from './configs.js';
import {
  interfaceExists,
  mountsUnder,
  nftTableExists,
  TEST_IMAGE_CACHE,
  teardownLocalNodes,
} from './local-nodes.js';

/** What a herd home's local nodes left on the machine (see HerdHome.leftovers). */
export interface Leftovers {
  pids: number[];
  mounts: string[];
  nodeDirs: string[];
  bridge: boolean;
  nat: boolean;
}

/** What `leftovers()` returns once everything is cleaned up. */
export const NOTHING_LEFT: Readonly<Leftovers> = Object.freeze({
  pids: [],
  mounts: [],
  nodeDirs: [],
  bridge: false,
  nat: false,
});

/** A herd home (config + storage) with its own bridge and subnet. */
export interface HerdHome {
  dir: string;
  config: string;
  storage: string;
  bridge: string;
  subnet: string;
  env: Record<string, string>;
  herd(args: readonly string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /** Everything herd might have left, for assertions: nspawn PIDs, mounts, node dirs, bridge, nft table. */
  leftovers(): Promise<Leftovers>;
  /** Safety net for afterAll: stop through herd, then tear down by recorded PID whatever is left. */
  destroy(): Promise<void>;
  /** The local node directory name of cluster `name` (`<name>-<id>`, from its state file). */
  nodeDir(name: string): string;
}

/** The sections every test config shares; `extra` is appended (more [cluster/...] sections). */
export function localConfig(options: {
  bridge: string;
  subnet: string;
  image?: string;
  extra?: string;
}): string {
  return localSlurmConfig({
    ...options,
    comment: 'herd end-to-end test configuration',
    extra: `${options.extra ?? ''}\n`,
  });
}

/** Creates a temp herd home whose config is `configText`. */
export async function createHerdHome(options: {
  bridge: string;
  subnet: string;
  config: string;
}): Promise<HerdHome> {
  const { dir, cleanup } = await makeTempDir('herd-e2e-');
  const config = join(dir, 'config');
  const storage = join(dir, 'storage');
  await mkdir(storage, { recursive: true, mode: 0o700 });
  await writeFile(config, options.config);
  const env = {
    HOME: dir,
    HERD_CONFIG: config,
    HERD_STORAGE: storage,
    HERD_IMAGE_CACHE: process.env['HERD_IMAGE_CACHE'] || TEST_IMAGE_CACHE,
  };
  const home: HerdHome = {
    dir,
    config,
    storage,
    bridge: options.bridge,
    subnet: options.subnet,
    env,
    herd: (args, opts = {}) => runHerd(args, { env, timeoutMs: opts.timeoutMs ?? 600_000 }),
    leftovers: async () => ({
      pids: nspawnPidsUnder(storage),
      mounts: await mountsUnder(storage),
      nodeDirs: nodeDirsUnder(storage),
      bridge: interfaceExists(options.bridge),
      nat: nftTableExists('ip', `herd_${options.bridge}`),
    }),
    nodeDir: (name) => {
      const { id } = JSON.parse(readFileSync(join(storage, `${name}.json`), 'utf8')) as { id?: string };
      return id === undefined ? name : `${name}-${id}`;
    },
    destroy: async () => {
      for (const name of clusterNames(storage)) {
        await runHerd(['stop', name, '--yes', '--force'], { env, timeoutMs: 120_000 });
      }
      await teardownLocalNodes(storage, { bridge: options.bridge, subnet: options.subnet });
      await cleanup();
    },
  };
  return home;
}

function clusterNames(storage: string): string[] {
  try {
    return readdirSync(storage)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}

/** systemd-nspawn processes whose root directory lies under `dir` (read from /proc, never killed here). */
export function nspawnPidsUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('systemd-nspawn') && argv.some((a) => a.includes(dir))) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function nodeDirsUnder(storage: string): string[] {
  const root = join(storage, 'local', 'nodes');
  try {
    return readdirSync(root).flatMap((cluster) =>
      readdirSync(join(root, cluster)).map((n) => `${cluster}/${n}`),
    );
  } catch {
    return [];
  }
}

/** Parses `sinfo -h -N -o '%N %t'` output into node -> state. */
export function parseSinfo(text: string): Map<string, string> {
  return new Map(
    text
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/) as [string, string]),
  );
}

/** Slurm's view of a cluster's nodes (`sinfo` on its frontend), node -> state; throws if ssh fails. */
export async function slurmNodes(home: HerdHome, cluster = 'slurm'): Promise<Map<string, string>> {
  const r = await home.herd(['ssh', cluster, '--', 'sinfo', '-h', '-N', '-o', '%N_%t']);
  if (r.code !== 0) throw new Error(`herd ssh ${cluster} -- sinfo exited ${r.code}: ${r.stderr}`);
  return parseSinfo(r.stdout.replace(/_/g, ' '));
}

/** Host names that answer a Slurm job over `nodes` nodes (`srun -N<nodes> hostname`), sorted. */
export async function srunHostnames(home: HerdHome, nodes: number, cluster = 'slurm'): Promise<string[]> {
  // A job that cannot start (nodes down or drained) would wait for ever: give up, saying why the nodes are out.
  const r = await home.herd([
    'ssh',
    cluster,
    '--',
    `timeout 240 srun -N${nodes} hostname || { rc=$?; sinfo -N -o '%N %T %E'; exit $rc; }`,
  ]);
  if (r.code !== 0) throw new Error(`srun -N${nodes} hostname exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim().split('\n').sort();
}
