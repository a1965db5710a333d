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
export const STATE_VERSION = 2;

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
}

/** What the state file holds: the state without the derived paths. */
export type StoredClusterState = Omit<ClusterState, 'paths'>;
