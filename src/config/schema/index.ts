/** herd's config schemas: the single source of truth for keys, types, defaults and docs. */

export {
  CLOUD_SCHEMAS,
  cloudRow,
  NODE_KEYS,
  PROVIDER_ALIASES,
  PROVIDERS,
  STARTABLE_PROVIDERS,
  SUPPORTED_PROVIDERS,
} from '../../providers/registry.js';
export {
  anyProviderClusterSchema,
  anyProviderNodeSchema,
  CLUSTER_KEYS,
  CLUSTER_PATTERNS,
  clusterSchema,
  nodeSchema,
} from './cluster.js';
export { LOGIN_SCHEMA } from './login.js';
export { IGNORED_KEYS, OLD_MIN_NODES, RENAMED_GROUPS, RENAMED_KEYS } from './renames.js';
export { SETUP_SCHEMA } from './setup.js';
export type { KeySchema, SectionSchema } from './types.js';
