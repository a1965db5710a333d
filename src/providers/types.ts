/**
 * The one interface every cloud implements, in herd's own types. A provider wraps only the SDK
 * calls it uses; orchestration (src/cluster) never sees SDK types.
 *
 * Designed for batch clouds: `createNodes` gets every node of one kind at once (one RunInstances
 * with MinCount/MaxCount on EC2, one bulkInsert on GCE), `describeNodes` answers for many nodes in
 * one call, and `findNodes` finds by tag/label what state may not know (crash recovery, `stop`).
 *
 * Every method names the cluster by its ClusterRef: its name and the random id it got at creation.
 * Clouds put both on every resource herd creates, and a resource that carries the name but another
 * id (a cluster of the same name in another storage directory) is never found, adopted or touched.
 */
import type { CloudSection, NodeSettings, ProviderName } from '../config/types.js';

/** Which cluster a provider call is about. */
export interface ClusterRef {
  /** The cluster name (tags, labels, messages). */
  readonly name: string;
  /**
   * The cluster's random id, on every resource herd creates for it. Undefined for a cluster created
   * before herd gave clusters ids: it owns the resources that carry its name and no id at all.
   */
  readonly id: string | undefined;
}

/** Lifecycle of a node as the provider sees it. */
export type NodeLifecycle =
  | 'pending'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'terminated'
  | 'error'
  | 'unknown';

/** One node to create. */
export interface NodeSpec {
  /** herd's node name, e.g. `compute003`. */
  name: string;
  /** Name on the cloud, `<cluster>-<id>-<node>` (see cloudNameFor). */
  cloudName: string;
}

/** What a provider needs to create a batch of nodes of one kind. */
export interface CreateNodesRequest {
  /** The cluster (tags, labels, per-cluster resources). */
  cluster: ClusterRef;
  /** Identifies this start/resize run (tags; idempotency tokens). */
  runId: string;
  /** Template name: the `[cluster/NAME]` section messages point at (differs from `cluster` with -n). */
  template?: string;
  /** Kind of every node in `nodes`. */
  kind: string;
  nodes: readonly NodeSpec[];
  /** The kind's node settings (image_id, flavor, ...). */
  settings: Readonly<NodeSettings>;
  /** Login user and the public key (OpenSSH one-line format) to authorize for it. */
  login: { user: string; publicKey: string; keyName: string | undefined };
  signal?: AbortSignal;
}

/** A node the provider created (or found). */
export interface NodeStatus {
  /** Provider's instance id (EC2 `i-...`, GCE instance name, local machine name). */
  instanceId: string;
  /** herd node name, when the provider knows it (tag/label/machine name). */
  name: string | undefined;
  state: NodeLifecycle;
  publicIps: readonly string[];
  privateIps: readonly string[];
  /** Instance type / machine type, when known. */
  flavor?: string;
  /** Why the node is in `error` state. */
  reason?: string;
}

/** Outcome of `createNodes`: some nodes may be created while others fail. */
export interface CreateNodesResult {
  created: readonly (NodeStatus & { name: string })[];
  failed: readonly { name: string; error: Error }[];
}

/** Things a provider needs from herd that are not in the cloud section. */
export interface ProviderContext {
  /** herd's storage directory (image caches, per-cluster files). */
  storageDir: string;
  /** Progress and diagnostics. */
  log: Logger;
}

/** A minimal logger; the UI decides where lines go. */
export interface Logger {
  /** Something the user should see at the default verbosity. */
  info(message: string): void;
  /** Something wrong but not fatal. */
  warn(message: string): void;
  /** Details shown at `-v` (level 1) and more at `-vv` (level 2). */
  debug(message: string, level?: number): void;
}

/** One cloud. Every method is idempotent where the cloud allows it. */
export interface Provider {
  readonly name: ProviderName;
  /** Ensures per-cluster and account resources exist (key pair, security group, bridge). */
  prepare(cluster: ClusterRef, login: CreateNodesRequest['login']): Promise<void>;
  /** Creates every node of one kind in as few API calls as the cloud allows. */
  createNodes(request: CreateNodesRequest): Promise<CreateNodesResult>;
  /** Current status of the given instances, in one call where possible; unknown ids come back `terminated`. */
  describeNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<NodeStatus[]>;
  /**
   * Every non-terminated node that carries this cluster's name and id, whether state knows it or not.
   * Nodes with the name but another id are left out and named in a warning.
   */
  findNodes(cluster: ClusterRef): Promise<NodeStatus[]>;
  /** Terminates instances of this cluster; already-gone ones are not an error, another cluster's are skipped. */
  terminateNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void>;
  /** Stops (powers off, keeps disks) instances. */
  stopNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void>;
  /** Starts stopped instances. */
  startNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void>;
  /** Removes per-cluster resources (bridge, security group) once no node of the cluster remains. */
  cleanup(cluster: ClusterRef): Promise<void>;
}

/** Builds the provider for a cloud section; loads the cloud's SDK lazily. */
export type ProviderFactory = (cloud: CloudSection, context: ProviderContext) => Promise<Provider>;
