/**
 * Validators precompiled at build time, and ajv as the fallback when they are missing.
 *
 * `npm run build` turns each JSON Schema into standalone JavaScript (scripts/compile-validators.mjs),
 * so a command never loads ajv's compiler (tens of milliseconds at every start). Vitest runs the
 * TypeScript sources, where no generated module exists: there, and for any schema whose text differs
 * from the one the build saw (a stale build), the schema is compiled with ajv as before.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv, Options, ValidateFunction } from 'ajv';

/** What a generated one-schema validator module (CommonJS, see `schemaFileName`) exports. */
export interface PrecompiledSchemaModule {
  /** The `schemaKey` of the schema it checks: a file left by an older build is never used. */
  schemaKey: string;
  /** Its validate function, given the formats the schema names (by name, as ajv's `addFormat` takes them). */
  createValidate(formats: object): ValidateFunction;
}

/** Precompiled validate functions by `schemaKey`; undefined for a schema without one. */
export type PrecompiledLookup = (key: string) => ValidateFunction | undefined;

/** The key of a schema: its JSON text, so a changed schema never meets an old validator. */
export function schemaKey(schema: object): string {
  return JSON.stringify(schema);
}

/**
 * The file name of the generated validator of the schema whose `schemaKey` is `key`: a hash of the
 * key (FNV-1a), so that a command finds the one validator it needs without reading the others.
 */
export function schemaFileName(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return `${(hash >>> 0).toString(16).padStart(8, '0')}.cjs`;
}

/**
 * Finds the validator generated for a schema in the folder `dir` (a URL ending in `/`) and loads
 * only that one, synchronously, on first need; undefined when there is none or it was made from
 * another version of the schema.
 */
export function precompiledLoader(dir: URL, formats: object): PrecompiledLookup {
  const require = createRequire(import.meta.url);
  // Templates build their schemas afresh: each key is looked up (and hashed) once.
  const found = new Map<string, ValidateFunction | undefined>();
  const load = (key: string) => {
    const file = fileURLToPath(new URL(schemaFileName(key), dir));
    if (!existsSync(file)) return undefined;
    const module = require(file) as PrecompiledSchemaModule;
    return module.schemaKey === key ? module.createValidate(formats) : undefined;
  };
  return (key) => {
    if (!found.has(key)) found.set(key, load(key));
    return found.get(key);
  };
}

/**
 * A new ajv instance, loaded synchronously on first need: checks stay synchronous although ajv is
 * loaded only when a schema has no precompiled validator.
 */
export function newAjv(options: Options): Ajv {
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new Ajv(options);
}
