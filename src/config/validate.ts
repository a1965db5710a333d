/**
 * Validates one section against its JSON Schema with ajv and turns ajv's errors into problems that
 * name the file:line, section and key, what is wrong and how to fix it.
 *
 * Booleans and numbers are coerced here, driven by the schema's `type`, because ajv's own coercion
 * knows only `true`/`false` while ElastiCluster files say yes/no/on/off/True/False.
 */
import type { Ajv, CodeOptions, ErrorObject, ValidateFunction } from 'ajv';
import type { ConfigProblem } from '../errors.js';
import { newAjv, type PrecompiledLookup, precompiledLoader, schemaKey } from '../util/precompiled.js';
import { closest, didYouMean } from '../util/suggest.js';
import type { IniEntry } from './ini-reader.js';
import { formats } from './schema/formats.js';
import type { KeySchema, SectionSchema } from './schema/index.js';
import { isSecretKey } from './secret-keys.js';
import type { ConfigValue } from './types.js';

/** The section being validated: its name, where it starts, and its (canonical) entries. */
export interface SectionInput {
  name: string;
  file: string;
  line: number;
  entries: ReadonlyMap<string, IniEntry>;
}

/** How to treat and explain a key that no schema names. */
export interface UnknownKeyOptions {
  /** Extra spellings to suggest from (e.g. `compute_nodes` for kinds the setup knows). */
  candidates?: readonly string[];
  /** A specific explanation (e.g. "is a cloud setting; move it ..."), or undefined. */
  explain?: (key: string) => string | undefined;
  /**
   * `error` (default): an unknown key is a problem. `warn`: ElastiCluster accepts any key in this
   * section, so an unknown key is set aside as an extra and reported as a warning.
   */
  mode?: 'error' | 'warn';
  /** In `warn` mode, what becomes of an extra key, appended to its warning (e.g. where it is passed on). */
  fate?: (key: string) => string;
}

/** What validating one section found. */
export interface SectionResult {
  /** Known keys, coerced, with defaults and environment fallbacks. */
  values: Record<string, ConfigValue>;
  problems: ConfigProblem[];
  /** Unknown keys in `warn` mode, keys whose schema carries `warn`. */
  warnings: ConfigProblem[];
  /** Unknown keys set aside in `warn` mode, as written. */
  extras: Map<string, IniEntry>;
}

/** Validates sections; compiled schemas are cached per process. */
export interface SchemaValidator {
  validate(
    section: SectionInput,
    schema: SectionSchema,
    env: Readonly<Record<string, string | undefined>>,
    unknown?: UnknownKeyOptions,
  ): SectionResult;
}

// Python 3's ConfigParser, as ElastiCluster uses it, keeps `# text` after a value as part of it.
const INLINE_HASH =
  '; a "#" after a value is part of the value, not a comment (only " ;" starts one): move the comment to a line of its own';

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

/**
 * `; "flavour" (file:line) looks like a misspelling of it: rename it to flavor` when the section
 * has an unknown key whose closest known spelling is `key`, else an empty string: a missing key
 * and the typo that left it missing are reported together.
 */
export function misspeltAs(
  key: string,
  section: { entries: ReadonlyMap<string, IniEntry> },
  isUnknown: (key: string) => boolean,
): string {
  for (const [written, entry] of section.entries) {
    if (isUnknown(written) && closest(written, [key]) === key) {
      // The value is not shown: the misspelt key may hold a secret.
      return `; "${written}" (${entry.file}:${entry.line}) looks like a misspelling of it: rename it to ${key}`;
    }
  }
  return '';
}

function decodePointer(path: string): string {
  return path.slice(1).replaceAll('~1', '/').replaceAll('~0', '~');
}

let shared: SchemaValidator | undefined;

/**
 * The process-wide validator, created on first use with the validators `npm run build` precompiled
 * (one file per schema in dist/config/schema/validators/, each read when a section first needs it),
 * so a command never loads ajv's compiler nor the validators of providers its config does not use;
 * without them (tests run the sources) each schema is compiled with ajv once however many configs
 * are loaded.
 */
export function getValidator(): SchemaValidator {
  shared ??= createSchemaValidator(
    precompiledLoader(new URL('./schema/validators/', import.meta.url), formats),
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
    // Problems are built from each error's keyword, params and path; the schema and data that
    // `verbose` copies into every error would only make the generated validators larger.
    verbose: false,
    strict: true,
    // Named keys (ansible_command) may also match a key family (ansible_*): the named schema applies.
    allowMatchingProperties: true,
    ...(code ? { code } : {}),
  });
  ajv.addVocabulary(['hint', 'env', 'warn', 'secret']);
  for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format);
  return ajv;
}

/**
 * A validator using the `precompiled` validate function of each schema (looked up by `schemaKey`),
 * and compiling with ajv (loaded then) the schemas it lacks.
 */
export function createSchemaValidator(precompiled: PrecompiledLookup = () => undefined): SchemaValidator {
  const compiled = new Map<SectionSchema, ValidateFunction>();
  let ajv: Ajv | undefined;
  const checkOf = (schema: SectionSchema): ValidateFunction => {
    let check = compiled.get(schema) ?? precompiled(schemaKey(schema));
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
      const known = [...Object.keys(schema.properties), ...(unknown.candidates ?? [])];
      const problems: ConfigProblem[] = [];
      const warnings: ConfigProblem[] = [];
      const extras = new Map<string, IniEntry>();
      const report = (list: ConfigProblem[], key: string, message: string) => {
        const entry = section.entries.get(key);
        list.push({
          file: entry?.file ?? section.file,
          line: entry?.line ?? section.line,
          section: section.name,
          key,
          message,
        });
      };
      const unknownMessage = (key: string) =>
        unknown.explain?.(key) ?? `unknown key${didYouMean(key, known)}`;

      const data: Record<string, ConfigValue> = {};
      for (const [key, entry] of section.entries) {
        const keySchema = keySchemaOf(schema, key);
        if (!keySchema && unknown.mode === 'warn') {
          extras.set(key, entry);
          report(warnings, key, `${unknownMessage(key)}; ${unknown.fate?.(key) ?? 'herd ignores it'}`);
          continue;
        }
        if (keySchema?.warn) report(warnings, key, keySchema.warn);
        data[key] = coerce(entry.value, keySchema?.type);
      }
      for (const [key, keySchema] of Object.entries(schema.properties)) {
        const from = key in data ? undefined : keySchema.env?.find((name) => env[name] !== undefined);
        if (from) data[key] = coerce(env[from]!, keySchema.type);
      }
      if (check(data)) return { values: data, problems, warnings, extras };

      const reported = new Set<string>();
      const at = (key: string, message: string) => {
        if (reported.has(key)) return;
        reported.add(key);
        report(problems, key, message);
      };
      for (const error of check.errors ?? []) {
        const params = error.params as Record<string, string>;
        if (error.keyword === 'additionalProperties') {
          const key = params['additionalProperty']!;
          at(key, `${unknownMessage(key)}; fix the spelling or remove it`);
        } else if (error.keyword === 'required') {
          const key = params['missingProperty']!;
          const fallback = schema.properties[key]?.env;
          at(
            key,
            `required key is missing; add ${key}=... to [${section.name}]${fallback ? ` or export ${fallback.join(' or ')}` : ''}${misspeltAs(key, section, (k) => !keySchemaOf(schema, k))}`,
          );
        } else {
          const key = decodePointer(error.instancePath);
          const fromEnv = !section.entries.has(key);
          const message = explainError(error, data[key], keySchemaOf(schema, key), isSecretKey(key));
          const comment = !fromEnv && /\s#/.test(String(data[key])) ? INLINE_HASH : '';
          at(key, fromEnv ? `${message} (value from the environment)` : `${message}${comment}`);
        }
      }
      return { values: data, problems, warnings, extras };
    },
  };
}
