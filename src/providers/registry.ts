/**
 * The clouds herd knows, one row each. Everything that depends on which clouds exist is derived from
 * these rows: the provider names and aliases the config accepts, each cloud section's schema, the
 * node keys of each cloud and which of them every kind must set, the state file's provider enum, and
 * which implementation `herd start` loads.
 *
 * A new cloud is one folder, `src/providers/<name>/` with a `schema.ts` (its keys, plain data) and
 * the implementation, plus one row here. The config stage reads the schemas only; `load` imports the
 * implementation (and with it the cloud's SDK) when a cluster on that cloud is started or changed, so
 * `herd --help` and `herd list` never load an SDK.
 */
import { CLOUD_NODE_COMMON } from '../config/schema/common-node-keys.js';
import type { KeySchema, SectionSchema } from '../config/schema/types.js';
import { AZURE_CLOUD, AZURE_NODE_KEYS } from './azure/schema.js';
import { EC2_CLOUD, EC2_NODE_KEYS } from './ec2/schema.js';
import { GCE_CLOUD, GCE_NODE_KEYS } from './gce/schema.js';
import { LIBCLOUD_CLOUD, LIBCLOUD_NODE_KEYS } from './libcloud/schema.js';
import { LOCAL_CLOUD, LOCAL_NODE_KEYS } from './local/schema.js';
import { OPENNEBULA_CLOUD, OPENNEBULA_NODE_KEYS } from './opennebula/schema.js';
import { OPENSTACK_CLOUD_SCHEMA, OPENSTACK_NODE_KEYS } from './openstack/schema.js';
import type { ProviderFactory } from './types.js';

/** One cloud. */
export interface CloudRow<Name extends string = string> {
  /** The `provider=` value (after alias resolution), also stored in state files. */
  name: Name;
  /** Other accepted spellings of `provider=` (ElastiCluster's included). */
  aliases: readonly string[];
  /** The cloud's name in messages, e.g. "Amazon EC2". */
  title: string;
  /** The keys of `[cloud/NAME]` besides `provider`, which every cloud section has. */
  cloud: SectionSchema;
  /** Node keys, set in `[cluster/NAME]` or per kind. Defaults apply at cluster level only. */
  nodeKeys: Readonly<Record<string, KeySchema>>;
  /** Node keys every kind must end up with (from the cluster or its kind section). */
  requiredNodeKeys: readonly string[];
  /**
   * Imports the implementation. Absent for clouds whose templates herd reads and validates
   * (ElastiCluster files name them) but cannot start nodes on yet.
   */
  load?: () => Promise<ProviderFactory>;
}

/** Keeps each row's name a literal type, so that ProviderName is the union of the rows' names. */
function row<Name extends string>(cloud: CloudRow<Name>): CloudRow<Name> {
  return cloud;
}

const IMAGE_AND_FLAVOR = ['image_id', 'flavor'] as const;

/** Every cloud, in the order messages list them. */
export const CLOUDS = [
  row({
    name: 'local',
    aliases: [],
    title: 'local nodes',
    cloud: LOCAL_CLOUD,
    nodeKeys: LOCAL_NODE_KEYS,
    requiredNodeKeys: [],
    load: async () => (await import('./local/index.js')).createLocalProvider,
  }),
  row({
    name: 'ec2_boto',
    aliases: ['ec2'],
    title: 'Amazon EC2',
    cloud: EC2_CLOUD,
    nodeKeys: EC2_NODE_KEYS,
    requiredNodeKeys: IMAGE_AND_FLAVOR,
    load: async () => (await import('./ec2/index.js')).createEc2Provider,
  }),
  row({
    name: 'google',
    aliases: ['gce'],
    title: 'Google Compute Engine',
    cloud: GCE_CLOUD,
    nodeKeys: GCE_NODE_KEYS,
    requiredNodeKeys: IMAGE_AND_FLAVOR,
    load: async () => (await import('./gce/index.js')).createGceProvider,
  }),
  row({
    name: 'openstack',
    aliases: [],
    title: 'OpenStack',
    cloud: OPENSTACK_CLOUD_SCHEMA,
    nodeKeys: { ...CLOUD_NODE_COMMON, ...OPENSTACK_NODE_KEYS },
    requiredNodeKeys: IMAGE_AND_FLAVOR,
    load: async () => (await import('./openstack/index.js')).createOpenStackProvider,
  }),
  row({
    name: 'azure',
    aliases: [],
    title: 'Microsoft Azure',
    cloud: AZURE_CLOUD,
    nodeKeys: AZURE_NODE_KEYS,
    requiredNodeKeys: IMAGE_AND_FLAVOR,
  }),
  row({
    name: 'libcloud',
    aliases: [],
    title: 'Apache Libcloud',
    cloud: LIBCLOUD_CLOUD,
    nodeKeys: LIBCLOUD_NODE_KEYS,
    requiredNodeKeys: IMAGE_AND_FLAVOR,
  }),
  row({
    name: 'opennebula',
    aliases: [],
    title: 'OpenNebula',
    cloud: OPENNEBULA_CLOUD,
    nodeKeys: OPENNEBULA_NODE_KEYS,
    requiredNodeKeys: IMAGE_AND_FLAVOR,
  }),
] as const;

/** Cloud provider names after alias resolution. */
export type ProviderName = (typeof CLOUDS)[number]['name'];

/** Every provider name. */
export const PROVIDERS: readonly ProviderName[] = CLOUDS.map((c) => c.name);

const BY_NAME = new Map<string, CloudRow<ProviderName>>(CLOUDS.map((c) => [c.name, c]));

/** The row of a provider name. */
export function cloudRow(name: ProviderName): CloudRow<ProviderName> {
  return BY_NAME.get(name)!;
}

/** Accepted alternative spellings of provider names. */
export const PROVIDER_ALIASES: Readonly<Record<string, ProviderName>> = Object.fromEntries(
  CLOUDS.flatMap((c) => c.aliases.map((alias) => [alias, c.name])),
);

/** Human list of the provider names and their aliases, e.g. "local, ec2_boto (alias ec2), ...". */
export const SUPPORTED_PROVIDERS = CLOUDS.map(spelled).join(', ');

/** The providers herd can start nodes on, e.g. "local, ec2_boto, google or openstack". */
export const STARTABLE_PROVIDERS = orList(CLOUDS.filter((c) => c.load).map((c) => c.name));

/** `provider`: the key every cloud section has. */
const PROVIDER_KEY: KeySchema = {
  type: 'string',
  description: `Cloud driver: ${orList(CLOUDS.map(spelled))}.`,
};

/** Schemas of `[cloud/NAME]` by provider: the row's keys plus `provider`. */
export const CLOUD_SCHEMAS: Readonly<Record<ProviderName, SectionSchema>> = byName((c) => ({
  ...c.cloud,
  properties: { provider: PROVIDER_KEY, ...c.cloud.properties },
  required: ['provider', ...(c.cloud.required ?? [])],
}));

/** Node keys by provider. */
export const NODE_KEYS: Readonly<Record<ProviderName, Readonly<Record<string, KeySchema>>>> = byName(
  (c) => c.nodeKeys,
);

function byName<T>(value: (cloud: CloudRow<ProviderName>) => T): Record<ProviderName, T> {
  const table: Partial<Record<ProviderName, T>> = {};
  for (const cloud of CLOUDS) table[cloud.name] = value(cloud);
  return table as Record<ProviderName, T>;
}

/** A provider name with its aliases, e.g. "ec2_boto (alias ec2)". */
function spelled(cloud: CloudRow): string {
  return cloud.aliases.length ? `${cloud.name} (alias ${cloud.aliases.join(', ')})` : cloud.name;
}

function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
