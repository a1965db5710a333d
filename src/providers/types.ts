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
import type { Logger } from '../log.js';
import type { NodeLifecycle } from '../state/types.js';

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
  template: string;
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

/** One kind of nodes a preflight checks: what `createNodes` would get, without node names. */
export interface PreflightKind {
  kind: string;
  /** Nodes of this kind that would be created (0: only check the kind's settings). */
  count: number;
  settings: Readonly<NodeSettings>;
}

/** What `preflight` checks. */
export interface PreflightRequest {
  /**
   * The cluster: per-cluster resources are named after its name and id (key pair, security group). A
   * cluster not started yet gets the fresh id `start` would give it, so nothing of another is reused.
   */
  cluster: ClusterRef;
  /** Template name, for messages (the `[cluster/NAME]` section to fix). */
  template?: string;
  /** The login; `publicKey` is undefined when herd would generate the key pair at start. */
  login: { user: string; publicKey: string | undefined; keyName: string | undefined };
  /** Kinds to check; none = only the account (credentials, region/zone, host). */
  kinds: readonly PreflightKind[];
  signal?: AbortSignal;
}

/** One finding: `ok`, a `warn`ing that does not stop a start, or a `fail`ure that would. */
export interface PreflightCheck {
  /** Stable id for scripts: `credentials`, `region`, `zone`, `image`, `flavor`, `key-pair`, `quota`, ... */
  id: string;
  status: 'ok' | 'warn' | 'fail';
  /** What was found, naming the value and where it came from. */
  message: string;
  /** What to do about a warning or failure. */
  hint?: string;
  /** The kind it concerns, for kind-level checks. */
  kind?: string;
}

/** Where and how the nodes of one kind would be created. */
export interface KindPlacement {
  kind: string;
  /** The image as the cloud knows it (id and name, when looked up). */
  image: string;
  flavor?: string;
  /** Zone(s) or subnet(s), in the order they would be tried. */
  placement?: string;
  securityGroups: readonly string[];
}

/** A per-cluster or account resource `start` would create, or use as it is. */
export interface PlannedResource {
  /** `key-pair`, `security-group`, `bridge`, `image`, `nat`, ... */
  type: string;
  name: string;
  action: 'create' | 'use';
  detail?: string;
}

/** Outcome of `preflight`. */
export interface PreflightReport {
  checks: PreflightCheck[];
  kinds: KindPlacement[];
  resources: PlannedResource[];
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
  /** Stops (powers off, keeps disks) instances; absent on a cloud that cannot keep a stopped node. */
  stopNodes?(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void>;
  /** Starts stopped instances; present exactly when stopNodes is. */
  startNodes?(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void>;
  /** Removes per-cluster resources (bridge, security group) once no node of the cluster remains. */
  cleanup(cluster: ClusterRef): Promise<void>;
  /**
   * OPTIONAL. Checks, with read-only calls only, what creating `request.kinds` would need, and says
   * what `prepare` and `createNodes` would create. Used by `start --dry-run`, `resize --dry-run` and
   * `herd check`; without it those commands say the plan was not checked against the cloud.
   *
   * Contract:
   * - It MUST NOT create, change or delete anything, on the cloud or on the host: only describe, get
   *   and list calls (tests record every call to prove it). Idempotent creation is not allowed either.
   * - Credentials first, with one cheap call; when they fail, report that and skip the checks that
   *   need them rather than repeating the same failure.
   * - Problems are findings (`fail` checks with a hint naming the config key to change), not
   *   exceptions; throw only for an abort or a bug.
   * - Check each kind's image and flavor exist, the region/zone/project, the key pair (user_key_name
   *   must exist; herd's own is "create" unless present), security groups, and quota where the API
   *   tells it (a `warn` when the request would exceed what is left).
   */
  preflight?(request: PreflightRequest): Promise<PreflightReport>;
}

/** Builds the provider for a cloud section; loads the cloud's SDK lazily. */
export type ProviderFactory = (cloud: CloudSection, context: ProviderContext) => Promise<Provider>;
