/**
 * The JSON Schema of a state file (current version), checked on every read and before every
 * write. The schema objects are typed against ClusterState and the Template types, so a field
 * added to those types without a schema entry fails the typecheck instead of every later load.
 */
import type { Ajv, CodeOptions, ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import type {
  CloudSection,
  ClusterSettings,
  KindSpec,
  LoginSection,
  SetupSection,
  Template,
} from '../config/types.js';
import { PROVIDERS } from '../providers/registry.js';
import { newAjv, precompiledLoader, schemaKey } from '../util/precompiled.js';
import type { ClusterOrigin, NodeRecord, NodeStateName, PauseRecord, StoredClusterState } from './types.js';
import { STATE_VERSION } from './types.js';

/** Keys a JSON document must have: those whose type does not admit undefined. */
type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];

/** Exactly the keys of T (no more, no fewer), each with its schema. */
type Properties<T> = { [K in keyof Required<T>]: SchemaObject };

/** Fails to typecheck unless `required` lists every required key of T. */
type AllRequired<T, K extends readonly PropertyKey[]> = [Exclude<RequiredKeys<T>, K[number]>] extends [never]
  ? K
  : { missingRequiredKeys: Exclude<RequiredKeys<T>, K[number]> };

function objectOf<T>() {
  return <const K extends readonly RequiredKeys<T>[]>(
    properties: Properties<T>,
    required: AllRequired<T, K>,
  ): SchemaObject => ({ type: 'object', properties, required, additionalProperties: false });
}

const string = { type: 'string' };
const nonEmpty = { type: 'string', minLength: 1 };
const isoTime = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' };
const strings = { type: 'array', items: string };
const count = { type: 'integer', minimum: 0 };
const scalarMap = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } };
const stringMap = { type: 'object', additionalProperties: string };

/** Every NodeStateName; the `satisfies` plus the check below keep it in step with the type. */
const NODE_STATES = [
  'creating',
  'pending',
  'running',
  'stopping',
  'stopped',
  'terminated',
  'error',
  'unknown',
  'ready',
  'terminating',
  'failed',
] as const satisfies readonly NodeStateName[];
const everyStateListed: [Exclude<NodeStateName, (typeof NODE_STATES)[number]>] extends [never]
  ? true
  : false = true;
void everyStateListed;

const cloudSchema = objectOf<CloudSection>()(
  { name: nonEmpty, provider: { enum: [...PROVIDERS] }, settings: scalarMap },
  ['name', 'provider', 'settings'],
);

const loginSchema = objectOf<LoginSection>()(
  {
    name: nonEmpty,
    imageUser: nonEmpty,
    imageSudo: { type: 'boolean' },
    imageUserSudo: nonEmpty,
    userKeyName: string,
    userKeyPrivate: string,
    userKeyPublic: string,
    settings: scalarMap,
  },
  ['name', 'imageUser', 'imageSudo', 'imageUserSudo', 'settings'],
);

const setupSchema = objectOf<SetupSection>()(
  {
    name: nonEmpty,
    provider: { const: 'ansible' },
    playbookPath: string,
    // Never stored: a command taken from a state file is never run (it comes from the configuration).
    ansibleCommand: { not: {} },
    ansibleExtraArgs: strings,
    ansibleSettings: scalarMap,
    globalVars: stringMap,
  },
  ['name', 'provider', 'playbookPath', 'ansibleExtraArgs', 'ansibleSettings', 'globalVars'],
);

const clusterSettingsSchema = objectOf<ClusterSettings>()(
  {
    sshTo: string,
    sshProbeTimeout: { type: 'number', exclusiveMinimum: 0 },
    startTimeout: { type: 'number', exclusiveMinimum: 0 },
    sshProxyCommand: string,
    sshAddress: { type: 'string', enum: ['auto', 'private', 'public'] },
    idleStopMinutes: { type: 'number', exclusiveMinimum: 0 },
    idleAction: { type: 'string', enum: ['stop', 'terminate'] },
    extra: stringMap,
  },
  ['sshProbeTimeout', 'startTimeout'],
);

const kindSchema = objectOf<KindSpec>()(
  { name: nonEmpty, count, min: count, groups: strings, vars: stringMap, settings: scalarMap },
  ['name', 'count', 'min', 'groups', 'vars', 'settings'],
);

const templateSchema = objectOf<Template>()(
  {
    name: nonEmpty,
    cloud: cloudSchema,
    login: loginSchema,
    setup: setupSchema,
    cluster: clusterSettingsSchema,
    kinds: { type: 'array', items: kindSchema },
  },
  ['name', 'cloud', 'login', 'setup', 'cluster', 'kinds'],
);

const nodeSchema = objectOf<NodeRecord>()(
  {
    name: nonEmpty,
    kind: nonEmpty,
    cloudName: nonEmpty,
    instanceId: nonEmpty,
    state: { enum: NODE_STATES },
    publicIps: strings,
    privateIps: strings,
    preferredIp: nonEmpty,
    flavor: string,
    hostKey: nonEmpty,
    runId: nonEmpty,
    createdAt: isoTime,
    error: string,
  },
  ['name', 'kind', 'cloudName', 'state', 'publicIps', 'privateIps', 'runId', 'createdAt'],
);

const originSchema = objectOf<ClusterOrigin>()(
  {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$' },
    storageDir: { type: 'string', pattern: '^/' },
    exportedAt: isoTime,
    importedAt: isoTime,
  },
  ['name', 'storageDir', 'exportedAt', 'importedAt'],
);

const pauseSchema = objectOf<PauseRecord>()(
  { phase: { enum: ['pausing', 'paused', 'resuming'] }, by: { enum: ['user', 'idle'] }, since: isoTime },
  ['phase', 'by', 'since'],
);

/** JSON Schema of a state file at STATE_VERSION. */
export const clusterStateSchema = objectOf<StoredClusterState>()(
  {
    version: { const: STATE_VERSION },
    name: nonEmpty,
    id: { type: 'string', pattern: '^[0-9a-f]{8}$' },
    templateName: nonEmpty,
    template: templateSchema,
    createdAt: isoTime,
    updatedAt: isoTime,
    nodes: { type: 'array', items: nodeSchema },
    setupCompletedAt: isoTime,
    exportedAt: isoTime,
    origin: originSchema,
    pause: pauseSchema,
  },
  ['version', 'name', 'templateName', 'template', 'createdAt', 'updatedAt', 'nodes'],
);

/**
 * An ajv instance with the options of the state schema. The build passes `code` to emit the
 * standalone validator; every other option must stay the same for both, so it lives here.
 */
export function createStateAjv(code?: CodeOptions): Ajv {
  return newAjv({ allErrors: true, strict: true, allowUnionTypes: true, ...(code ? { code } : {}) });
}

// The validator `npm run build` generated (dist/state/validators/), read synchronously on first use:
// checkClusterState stays synchronous, and this module has no top-level await (a command that never
// reads a state file never reads it either).
const precompiled = precompiledLoader(new URL('./validators/', import.meta.url), {});

let validator: ValidateFunction | undefined;

/**
 * Checks `value` against the state schema. Returns the problems as `path: message` lines, or an
 * empty list when it is a valid StoredClusterState. Uses the validator `npm run build` precompiled
 * (dist/state/validators/); without it (tests run the sources, or the build is stale) the schema
 * is compiled with ajv on first use.
 */
export function checkClusterState(value: unknown): string[] {
  validator ??= precompiled(schemaKey(clusterStateSchema)) ?? createStateAjv().compile(clusterStateSchema);
  if (validator(value)) return [];
  return (validator.errors ?? []).map(describeError);
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath;
  const extra =
    e.keyword === 'additionalProperties'
      ? ` "${String(e.params['additionalProperty'])}"`
      : e.keyword === 'enum'
        ? ` (${(e.params['allowedValues'] as unknown[]).join(', ')})`
        : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}
