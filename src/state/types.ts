/**
 * The persisted record of one cluster (`<storage>/<name>.json`). It never holds a cloud secret:
 * `template` is a snapshot with secret keys removed (see redactTemplate), and no command to run
 * (`ansible_command` is read from the configuration). Paths of the cluster's files are not stored:
 * they are derived from the storage directory and the cluster name on every load.
 */
import type { Template } from '../config/types.js';

/** Lifecycle of a node as the provider sees it (`describeNodes`). */
export type NodeLifecycle =
  | 'pending'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'terminated'
  | 'error'
  | 'unknown';

/** Current state file format version. Older versions are migrated on read. */
export const STATE_VERSION = 3;

/** herd's view of a node: the provider lifecycle plus herd's own bookkeeping states. */
export type NodeStateName =
  /** Intent recorded; the create call may or may not have reached the cloud. */
  | 'creating'
  | NodeLifecycle
  /** Running and answering SSH with the pinned host key. */
  | 'ready'
  /** Terminate requested. */
  | 'terminating'
  /** Could not be created or never became reachable. */
  | 'failed';

/** One node of a cluster. */
export interface NodeRecord {
  /** `<kind>NNN`, e.g. `compute001`. */
  name: string;
  kind: string;
  /** Name on the cloud, `<cluster>-<id>-<node>` (`<cluster>-<node>` for clusters without an id). */
  cloudName: string;
  /** Provider instance id, once known. */
  instanceId?: string;
  state: NodeStateName;
  publicIps: string[];
  privateIps: string[];
  /** The IP that answered SSH first; used by ssh, sftp and Ansible. */
  preferredIp?: string;
  flavor?: string;
  /** Pinned SSH host key (`<type> <base64>`), captured at the first successful probe. */
  hostKey?: string;
  /** The run (start/resize) that created this node. */
  runId: string;
  /** ISO time of the intent record. */
  createdAt: string;
  /** Why the node failed, when state is `failed`/`error`. */
  error?: string;
}

/** Paths of the per-cluster files (all inside the storage dir unless the login section names a key); never stored. */
export interface ClusterPaths {
  privateKey: string;
  publicKey: string;
  knownHosts: string;
  inventory: string;
}

/**
 * A cluster that is paused or on its way there or back. Written before the cloud is asked to stop or
 * start anything, so that a pause or resume cut short is finished by running the command again.
 */
export interface PauseRecord {
  /** `pausing`: stop requested; `paused`: every node stopped; `resuming`: start requested. */
  phase: 'pausing' | 'paused' | 'resuming';
  /** `user`: `herd pause`; `idle`: the cluster powered itself off after `idle_stop_minutes`. */
  by: 'user' | 'idle';
  /** ISO time the phase began. */
  since: string;
}

/** One cluster's state, as commands use it. */
export interface ClusterState {
  version: typeof STATE_VERSION;
  name: string;
  /**
   * Random id given at creation (8 hex digits), on every resource herd creates for the cluster, so that
   * a cluster of the same name elsewhere (another storage dir, same account or host) is never mistaken
   * for this one. Absent for clusters created before ids (state version 1): they keep working by name.
   */
  id?: string;
  /** Template name it was started from. */
  templateName: string;
  /** Template snapshot with secrets removed. */
  template: Template;
  createdAt: string;
  updatedAt: string;
  nodes: NodeRecord[];
  /** Derived on load from the storage dir, the name and the login section; not part of the file. */
  paths: ClusterPaths;
  /** Set once a setup run succeeded; cleared when nodes are added. */
  setupCompletedAt?: string;
  /**
   * When the cluster was last exported (`herd export`): a copy imported from that archive may manage
   * the same instances, so commands that terminate nodes say so. Imported copies carry it too.
   */
  exportedAt?: string;
  /** Set on a cluster that `herd import` brought in: where its cloud resources come from. */
  origin?: ClusterOrigin;
  /** Present while the cluster is paused, pausing or resuming (version 3). */
  pause?: PauseRecord;
}

/**
 * Where an imported cluster came from. It keeps the exporting cluster's id (it is the same cluster
 * on the cloud); its resources carry the exporting cluster's name, which `-n` may have changed here.
 */
export interface ClusterOrigin {
  /** The name the cluster's cloud resources carry (tags, labels, key pair, node machine names). */
  name: string;
  /**
   * Absolute storage directory of the exporting install. Only the local provider uses it: its nodes
   * live in `<dir>/local/nodes/<name>-<id>` on the host that started them.
   */
  storageDir: string;
  /** When the archive was made. */
  exportedAt: string;
  /** When it was imported here. */
  importedAt: string;
}

/** What the state file holds: the state without the derived paths. */
export type StoredClusterState = Omit<ClusterState, 'paths'>;
