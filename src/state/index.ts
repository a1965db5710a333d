/** The state repository: cluster records on disk, their locks, and the names they use. */
export type { ClusterLock } from './lock.js';
export { MIGRATED_RUN_ID, migrate } from './migrate.js';
export {
  CLUSTER_ID,
  cloudNameFor,
  MAX_CLUSTER_NAME_LENGTH,
  newClusterId,
  validateClusterName,
} from './names.js';
export { allocateNodeNames, nodeNumber } from './node-names.js';
export { isSecretKey, redactTemplate, restoreSecrets, type SecretSource, secretsOf } from './redact.js';
export {
  type ListResult,
  type SaveOptions,
  StateRepository,
  type StateRepositoryOptions,
  storedRecord,
} from './repository.js';
export { checkClusterState } from './schema.js';
export type {
  ClusterOrigin,
  ClusterPaths,
  ClusterState,
  NodeRecord,
  NodeStateName,
  PauseRecord,
  StoredClusterState,
} from './types.js';
export { STATE_VERSION } from './types.js';
