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

/** What a generated validators module exports. */
export interface PrecompiledModule {
  /** Validate functions by the JSON text of their schema (see `schemaKey`). */
  checksBySchema: ReadonlyMap<string, ValidateFunction>;
}

/** The key of a schema in `checksBySchema`: its JSON text, so a changed schema never meets an old validator. */
export function schemaKey(schema: object): string {
  return JSON.stringify(schema);
}

/**
 * Imports the generated module at `url` (a sibling `.js` of the caller's compiled file), or returns
 * an empty map when it is not there.
 */
export async function importPrecompiled(url: URL): Promise<ReadonlyMap<string, ValidateFunction>> {
  if (!existsSync(fileURLToPath(url))) return new Map();
  const module = (await import(url.href)) as PrecompiledModule;
  return module.checksBySchema;
}

/**
 * A new ajv instance, loaded synchronously on first need: checks stay synchronous although ajv is
 * loaded only when a schema has no precompiled validator.
 */
export function newAjv(options: Options): Ajv {
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new Ajv(options);
}
