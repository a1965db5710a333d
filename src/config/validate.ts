/**
 * Validates one section against its JSON Schema with ajv and turns ajv's errors into problems that
 * name the file:line, section and key, what is wrong and how to fix it.
 *
 * Booleans and numbers are coerced here, driven by the schema's `type`, because ajv's own coercion
 * knows only `true`/`false` while ElastiCluster files say yes/no/on/off/True/False.
 */
import type { Ajv, CodeOptions, ErrorObject, ValidateFunction } from 'ajv';
import type { ConfigProblem } from '../errors.js';
import type { IniEntry } from './ini-reader.js';
import { importPrecompiled, newAjv, schemaKey } from './precompiled.js';
import { formats } from './schema/formats.js';
import type { KeySchema, SectionSchema } from './schema/index.js';
import { isSecretKey } from './secret-keys.js';
import { didYouMean } from './suggest.js';
import type { ConfigValue } from './types.js';

/** The section being validated: its name, where it starts, and its (canonical) entries. */
export interface SectionInput {
  name: string;
  file: string;
  line: number;
  entries: ReadonlyMap<string, IniEntry>;
}

/** How to explain an unknown key, beyond the default "did you mean". */
export interface UnknownKeyOptions {
  /** Extra spellings to suggest from (e.g. `compute_nodes` for kinds the setup knows). */
  candidates?: readonly string[];
  /** A specific explanation (e.g. "only valid for provider ec2_boto"), or undefined. */
  explain?: (key: string) => string | undefined;
}

/** Validates sections; compiled schemas are cached per process. */
export interface SchemaValidator {
  validate(
    section: SectionInput,
    schema: SectionSchema,
    env: Readonly<Record<string, string | undefined>>,
    unknown?: UnknownKeyOptions,
  ): { values: Record<string, ConfigValue>; problems: ConfigProblem[] };
}

const TRUE = new Set(['yes', 'true', 'on', '1']);
const FALSE = new Set(['no', 'false', 'off', '0']);
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The schema of a key: its property, else the first key family (pattern) it belongs to. */
export function keySchemaOf(schema: SectionSchema, key: string): KeySchema | undefined {
  const own = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
  if (own) return own;
  for (const [pattern, family] of Object.entries(schema.patternProperties ?? {})) {
    let regexp = patterns.get(pattern);
    if (!regexp) {
      regexp = new RegExp(pattern);
      patterns.set(pattern, regexp);
    }
    if (regexp.test(key)) return family;
  }
  return undefined;
}

const patterns = new Map<string, RegExp>();

/** Converts INI text to the schema's type; leaves it a string when it does not parse (ajv reports it). */
function coerce(value: string, type: KeySchema['type'] | undefined): ConfigValue {
  const lower = value.toLowerCase();
  if (type === 'boolean') return TRUE.has(lower) ? true : FALSE.has(lower) ? false : value;
  if (type === 'integer' && INTEGER.test(value)) return Number(value);
  if (type === 'number' && NUMBER.test(value)) return Number(value);
  return value;
}

function describeType(type: string): string {
  if (type === 'boolean') return 'is not a boolean; write yes or no (also true/false, on/off, 1/0)';
  if (type === 'integer') return 'is not a whole number; write digits only, e.g. 2';
  return 'is not a number; write e.g. 0.5';
}

function explainError(
  error: ErrorObject,
  value: unknown,
  keySchema: KeySchema | undefined,
  secret: boolean,
): string {
  const shown = secret ? 'the value' : `"${String(value)}"`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `${shown} ${describeType(String(params['type']))}`;
    case 'minimum':
      return `${shown} is too small; use ${params['limit']} or more`;
    case 'maximum':
      return `${shown} is too large; use ${params['limit']} or less`;
    case 'enum':
      return `${shown} is not supported; use one of: ${(params['allowedValues'] as string[]).join(', ')}`;
    case 'minLength':
      return 'is empty; give it a value or remove the line';
    case 'maxLength':
      return `${shown} is ${String(value).length} characters long; use at most ${params['limit']}`;
    default:
      return `${shown} is not valid${keySchema?.hint ? `; ${keySchema.hint}` : ` (${error.message})`}`;
  }
}

function decodePointer(path: string): string {
  return path.slice(1).replaceAll('~1', '/').replaceAll('~0', '~');
}

let shared: Promise<SchemaValidator> | undefined;

/**
 * The process-wide validator, created on first use with the validators `npm run build` precompiled
 * (dist/config/schema/validators.js), so a command never loads ajv's compiler; without them (tests
 * run the sources) each schema is compiled with ajv once however many configs are loaded.
 */
export function getValidator(): Promise<SchemaValidator> {
  shared ??= importPrecompiled(new URL('./schema/validators.js', import.meta.url)).then(
    createSchemaValidator,
  );
  return shared;
}

/**
 * An ajv instance with the options and formats of the config schemas. The build passes `code` to
 * emit standalone validators; every other option must stay the same for both, so it lives here.
 */
export function createConfigAjv(code?: CodeOptions): Ajv {
  const ajv = newAjv({
    allErrors: true,
    useDefaults: true,
    verbose: true,
    strict: true,
    // Named keys (ansible_command) may also match a key family (ansible_*): the named schema applies.
    allowMatchingProperties: true,
    ...(code ? { code } : {}),
  });
  ajv.addVocabulary(['hint', 'env', 'secret']);
  for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format);
  return ajv;
}

/**
 * A validator using the `precompiled` validate function of each schema (keyed by `schemaKey`), and
 * compiling with ajv (loaded then) the schemas it lacks.
 */
export function createSchemaValidator(
  precompiled: ReadonlyMap<string, ValidateFunction> = new Map(),
): SchemaValidator {
  const compiled = new Map<SectionSchema, ValidateFunction>();
  let ajv: Ajv | undefined;
  const checkOf = (schema: SectionSchema): ValidateFunction => {
    let check = compiled.get(schema) ?? precompiled.get(schemaKey(schema));
    if (!check) {
      ajv ??= createConfigAjv();
      check = ajv.compile(schema);
    }
    compiled.set(schema, check);
    return check;
  };

  return {
    validate(section, schema, env, unknown = {}) {
      const check = checkOf(schema);
      const data: Record<string, ConfigValue> = {};
      for (const [key, entry] of section.entries)
        data[key] = coerce(entry.value, keySchemaOf(schema, key)?.type);
      for (const [key, keySchema] of Object.entries(schema.properties)) {
        const from = key in data ? undefined : keySchema.env?.find((name) => env[name] !== undefined);
        if (from) data[key] = coerce(env[from]!, keySchema.type);
      }
      if (check(data)) return { values: data, problems: [] };

      const problems: ConfigProblem[] = [];
      const reported = new Set<string>();
      for (const error of check.errors ?? []) {
        const params = error.params as Record<string, string>;
        const at = (key: string, message: string) => {
          if (reported.has(key)) return;
          reported.add(key);
          const entry = section.entries.get(key);
          problems.push({
            file: entry?.file ?? section.file,
            line: entry?.line ?? section.line,
            section: section.name,
            key,
            message,
          });
        };
        if (error.keyword === 'additionalProperties') {
          const key = params['additionalProperty']!;
          const known = [...Object.keys(schema.properties), ...(unknown.candidates ?? [])];
          at(
            key,
            unknown.explain?.(key) ?? `unknown key${didYouMean(key, known)}; fix the spelling or remove it`,
          );
        } else if (error.keyword === 'required') {
          const key = params['missingProperty']!;
          const fallback = schema.properties[key]?.env;
          at(
            key,
            `required key is missing; add ${key}=... to [${section.name}]${fallback ? ` or export ${fallback.join(' or ')}` : ''}`,
          );
        } else {
          const key = decodePointer(error.instancePath);
          const fromEnv = !section.entries.has(key);
          const message = explainError(error, data[key], keySchemaOf(schema, key), isSecretKey(key));
          at(key, fromEnv ? `${message} (value from the environment)` : message);
        }
      }
      return { values: data, problems };
    },
  };
}
