/**
 * Every section schema the config pipeline validates with, by a name that is a JavaScript
 * identifier. The build precompiles exactly these (scripts/compile-validators.mjs); a schema
 * missing here still works, it is only compiled with ajv at run time.
 */

import { CLOUD_SCHEMAS, PROVIDERS } from '../../providers/registry.js';
import { anyProviderClusterSchema, anyProviderNodeSchema, clusterSchema, nodeSchema } from './cluster.js';
import { LOGIN_SCHEMA } from './login.js';
import { SETUP_SCHEMA } from './setup.js';
import type { SectionSchema } from './types.js';

/** The schemas of the cloud, login, setup, cluster and per-kind node sections, for each provider. */
export function sectionSchemaCatalog(): Record<string, SectionSchema> {
  const catalog: Record<string, SectionSchema> = {
    login: LOGIN_SCHEMA,
    setup: SETUP_SCHEMA,
    cluster_any_provider: anyProviderClusterSchema(),
    node_any_provider: anyProviderNodeSchema(),
  };
  for (const provider of PROVIDERS) {
    catalog[`cloud_${provider}`] = CLOUD_SCHEMAS[provider];
    catalog[`cluster_${provider}`] = clusterSchema(provider);
    catalog[`node_${provider}`] = nodeSchema(provider);
  }
  return catalog;
}
