/** herd's configuration: load ElastiCluster-compatible INI files into typed, validated templates. */
export type { InvalidTemplateDetails } from './build-template.js';
export { ensureDefaultConfig } from './default-config.js';
export { globToRegExp } from './glob.js';
export { type LoadConfigOptions, loadConfig } from './load.js';
export { SUPPORTED_PROVIDERS } from './schema/index.js';
export { getTemplate, summarizeTemplates, type TemplateSummary } from './templates.js';
export type * from './types.js';
