/**
 * What cluster orchestration needs from the outside world, as narrow interfaces a test can replace.
 * The CLI wires the real implementations (src/cli/wiring.ts).
 */
import type { Template } from '../config/types.js';
import type { Logger } from '../log.js';
import type { ProviderFactory } from '../providers/types.js';
import type { SetupRunner } from '../setup/setup-runner.js';
import type { SshWaiter } from '../ssh/ssh-waiter.js';
import type { StateRepository } from '../state/index.js';
import type { ClusterState, NodeRecord } from '../state/types.js';

/** Generates the ed25519 key pair of `cluster` at `privatePath` (+ `.pub`); the key names the cluster. */
export type KeyGenerator = (privatePath: string, cluster: string) => Promise<void>;

/**
 * What each node records about its last setup run (a root-only file on the node), and the digest of a
 * run's inputs to compare it with: how `herd setup` skips a run that would change nothing.
 */
export interface SetupMarks {
  /** The digest of a run of `template` on `state`'s nodes; undefined when it cannot be told (never skip). */
  digest(state: ClusterState, template: Template): Promise<string | undefined>;
  /** Each node's recorded mark; undefined where there is none or the node could not be asked. */
  read(
    state: ClusterState,
    nodes: readonly NodeRecord[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, string | undefined>>;
  /** Records `mark` on `nodes` (undefined removes it); returns the nodes where that failed. */
  write(
    state: ClusterState,
    nodes: readonly NodeRecord[],
    mark: string | undefined,
    signal?: AbortSignal,
  ): Promise<string[]>;
}

/** Progress of long operations, for the UI (listr2 on a TTY, plain lines otherwise, nothing with --json). */
export interface Progress {
  /** The nodes this run will create or wait for. */
  plan(nodes: readonly { name: string; kind: string }[]): void;
  /** A node changed phase: creating, running, ready (SSH ok), failed (detail = reason), removed. */
  node(name: string, phase: 'creating' | 'running' | 'ready' | 'failed' | 'removed', detail?: string): void;
  /** A cluster-wide step (setup, drain, terminate) started, finished or failed. */
  step(title: string, status: 'start' | 'done' | 'failed', detail?: string): void;
  /** A line of Ansible output (raw at -v; followed by the setup display otherwise). */
  output(line: string): void;
  /** How many tasks the running playbook lists (for the bar of tasks done); only a terminal draws one. */
  expectTasks?(count: number): void;
  /** Ends the display (before the summary is printed); safe to call more than once. */
  close(): Promise<void>;
}

/** Dependencies shared by every orchestration function. */
export interface ClusterDeps {
  repo: StateRepository;
  createProvider: ProviderFactory;
  waitForSsh: SshWaiter;
  runSetup: SetupRunner;
  setupMarks: SetupMarks;
  writeInventory: (state: ClusterState, template: Template) => Promise<void>;
  writeKnownHosts: (state: ClusterState) => Promise<void>;
  /** Closes the cluster's SSH control masters and removes its run directory (at stop). */
  closeConnections: (cluster: string) => Promise<void>;
  generateKeyPair: KeyGenerator;
  /** Stops the ansible-playbook an earlier herd run of the cluster left running when it was killed. */
  stopOrphanedSetup: (cluster: string) => Promise<void>;
  log: Logger;
  progress: Progress;
  verbosity: number;
  /** Path of the bundled playbooks directory (slurm-drain.yml). */
  playbooksDir: string;
}

/** A progress sink that shows nothing. */
export const silentProgress: Progress = {
  plan() {},
  node() {},
  step() {},
  output() {},
  close: async () => {},
};
