/**
 * The shape of herd's config schemas: plain JSON Schema (draft-07 subset understood by ajv) plus
 * three annotations, `hint` (how to fix a bad value), `env` (environment variables a missing key
 * falls back to) and `secret` (the value is a credential). The schemas are data so that docs and types can be derived from them.
 */

/** The schema of one key. */
export interface KeySchema {
  type: 'string' | 'integer' | 'number' | 'boolean';
  description: string;
  default?: string | number | boolean;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: 'ipv4-cidr' | 'private-ipv4-cidr' | 'http-url';
  /** Appended to the message when the value is bad. */
  hint?: string;
  /** Environment variables read, in order, when the key is not set. */
  env?: readonly string[];
  /** The key is accepted, with this warning (e.g. ElastiCluster keys herd has no use for). */
  warn?: string;
  /** The value is a credential: used as written, never shown or stored (see secret-keys.ts). */
  secret?: boolean;
}

/** The schema of one section type (for one provider). */
export interface SectionSchema {
  type: 'object';
  description: string;
  properties: Readonly<Record<string, KeySchema>>;
  /** Families of keys, e.g. `<kind>_nodes`. */
  patternProperties?: Readonly<Record<string, KeySchema>>;
  required?: readonly string[];
  additionalProperties: false;
}

/** Cloud provider names after alias resolution: every provider ElastiCluster has, and local. */
export const PROVIDERS = [
  'local',
  'ec2_boto',
  'google',
  'openstack',
  'azure',
  'libcloud',
  'opennebula',
] as const;

/**
 * Providers whose templates herd reads and validates (ElastiCluster files name them) but cannot
 * start nodes on yet, by the cloud's name for messages. A provider leaves this list when
 * src/providers/index.ts can create it.
 */
export const PROVIDERS_WITHOUT_NODES: Readonly<Partial<Record<(typeof PROVIDERS)[number], string>>> = {
  azure: 'Microsoft Azure',
  libcloud: 'Apache Libcloud',
  opennebula: 'OpenNebula',
};

/** Accepted alternative spellings of provider names. */
export const PROVIDER_ALIASES: Readonly<Record<string, (typeof PROVIDERS)[number]>> = {
  ec2: 'ec2_boto',
  gce: 'google',
};
