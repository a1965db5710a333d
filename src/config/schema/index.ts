/** herd's config schemas: the single source of truth for keys, types, defaults and docs. */
export { CLOUD_SCHEMAS } from './cloud.js';
export {
  anyProviderClusterSchema,
  anyProviderNodeSchema,
  CLUSTER_KEYS,
  CLUSTER_PATTERNS,
  clusterSchema,
  nodeSchema,
} from './cluster.js';
export { LOGIN_SCHEMA } from './login.js';
export { LOCAL_IMAGES, NEEDS_IMAGE_AND_FLAVOR, NODE_KEYS } from './node.js';
export { IGNORED_KEYS, OLD_MIN_NODES, RENAMED_GROUPS, RENAMED_KEYS } from './renames.js';
export { SETUP_SCHEMA } from './setup.js';
export type { KeySchema, SectionSchema } from './types.js';
export { PROVIDER_ALIASES, PROVIDERS, PROVIDERS_WITHOUT_NODES } from './types.js';
