/**
 * The validators `npm run build` precompiles (scripts/compile-validators.mjs) behave exactly like those
 * ajv compiles at run time, and a built herd never loads ajv's compiler. The real build step runs on a
 * copy of dist/ (global setup has just compiled it) inside node_modules/.cache, where the run-time fallback
 * finds ajv; a second copy without the generated modules is that fallback.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ConfigModule from '../../src/config/index.js';
import type { IniEntry } from '../../src/config/ini-reader.js';
import { sectionSchemaCatalog } from '../../src/config/schema/catalog.js';
import { formats } from '../../src/config/schema/formats.js';
import { PROVIDERS, type SectionSchema } from '../../src/config/schema/index.js';
import { createConfigAjv, createSchemaValidator } from '../../src/config/validate.js';
import { StateRepository } from '../../src/state/index.js';
import { clusterStateSchema, createStateAjv } from '../../src/state/schema.js';
import {
  type PrecompiledLookup,
  precompiledLoader,
  schemaFileName,
  schemaKey,
} from '../../src/util/precompiled.js';
import { sampleState, storedSample } from '../state/fixtures/sample.js';
import { BASE, CASES, EC2, WARNING_CASES } from './malformed-cases.js';

const root = resolve(import.meta.dirname, '..', '..');
const catalog = sectionSchemaCatalog();
let work: string;
let sectionChecks: PrecompiledLookup;
let stateChecks: PrecompiledLookup;

/** `<work>/<copy>/<path>`: `built` has the generated validators, `fallback` does not. */
const inCopy = (copy: 'built' | 'fallback', path: string) => join(work, copy, path);
const importFrom = async <T>(copy: 'built' | 'fallback', path: string) =>
  (await import(pathToFileURL(inCopy(copy, path)).href)) as T;

beforeAll(async () => {
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  work = mkdtempSync(join(cache, 'herd-precompiled-'));
  cpSync(join(root, 'dist'), join(work, 'built'), { recursive: true });
  execFileSync(process.execPath, [join(root, 'scripts', 'compile-validators.mjs'), join(work, 'built')]);
  cpSync(join(work, 'built'), join(work, 'fallback'), { recursive: true });
  rmSync(inCopy('fallback', 'config/schema/validators'), { recursive: true });
  rmSync(inCopy('fallback', 'state/validators'), { recursive: true });
  sectionChecks = precompiledLoader(
    pathToFileURL(`${inCopy('built', 'config/schema/validators')}/`),
    formats,
  );
  stateChecks = precompiledLoader(pathToFileURL(`${inCopy('built', 'state/validators')}/`), {});
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The precompiled validator of `schema`; fails the test when the build left it out. */
function precompiledFor(checks: PrecompiledLookup, schema: object): ValidateFunction {
  const check = checks(schemaKey(schema));
  if (!check) throw new Error('no precompiled validator for this schema');
  return check;
}

/** Runs `check` on a copy of `data`: the verdict, the data after defaults, and ajv's errors. */
function outcome(check: ValidateFunction, data: Record<string, unknown>) {
  const copy = structuredClone(data);
  const valid = check(copy);
  return { valid, data: copy, errors: check.errors ?? null };
}

describe('the generated modules', () => {
  it('load no module: the small ajv run-time helpers are written into them (formats are passed in)', () => {
    const stateDir = inCopy('built', 'state/validators');
    expect(readdirSync(stateDir)).toEqual([schemaFileName(schemaKey(clusterStateSchema))]);
    const state = readFileSync(join(stateDir, readdirSync(stateDir)[0]!), 'utf8');
    expect(state).not.toMatch(/^import /m);
    expect(state).not.toMatch(/\brequire\(/);
    // The state schema limits string lengths: ajv's ucs2length is in the module itself.
    expect(state).toMatch(/= \(function ucs2length\(/);

    const dir = inCopy('built', 'config/schema/validators');
    const files = readdirSync(dir);
    expect(files).toHaveLength(Object.keys(catalog).length);
    const texts = files.map((file) => readFileSync(join(dir, file), 'utf8'));
    for (const [i, text] of texts.entries()) {
      expect(text, files[i]).not.toMatch(/^import /m);
      expect(text, files[i]).not.toMatch(/\brequire\(/);
    }
    expect(texts.filter((t) => /= \(function ucs2length\(/.test(t)).length).toBeGreaterThan(0);
    // The cloud schemas with URL and subnet keys check them with herd's own formats.
    expect(
      texts.filter((t) => /herdFormats\["(http-url|private-ipv4-cidr|ipv4-cidr)"\]/.test(t)).length,
    ).toBeGreaterThan(0);
  });

  it('hold a validator for every schema of the catalog and for the state schema', () => {
    // login, setup, cluster and node for an unknown provider, then cloud, cluster and node per provider.
    expect(Object.keys(catalog).length).toBe(4 + 3 * PROVIDERS.length);
    for (const [name, schema] of Object.entries(catalog)) {
      expect(typeof sectionChecks(schemaKey(schema)), name).toBe('function');
    }
    expect(typeof precompiledFor(stateChecks, clusterStateSchema)).toBe('function');
  });
});

describe('the loader of the generated validators', () => {
  it('uses a file only when it was made from the very same schema text, and passes it the formats', () => {
    const key = schemaKey(catalog['login']!);
    const lookupIn = (name: string, text?: string) => {
      const dir = join(work, 'loader', name);
      mkdirSync(dir, { recursive: true });
      if (text !== undefined) writeFileSync(join(dir, schemaFileName(key)), text);
      return precompiledLoader(pathToFileURL(`${dir}/`), formats)(key);
    };
    expect(lookupIn('none')).toBeUndefined();
    expect(
      lookupIn('stale', 'exports.schemaKey = "{}";\nexports.createValidate = () => () => true;\n'),
    ).toBeUndefined();
    const current = lookupIn(
      'current',
      `exports.schemaKey = ${JSON.stringify(key)};\nexports.createValidate = (f) => () => typeof f['http-url'].validate === 'function';\n`,
    );
    expect(current?.({})).toBe(true);
  });
});

/** Inputs derived from a schema: empty, every key wrong in three ways, key families, unknown keys. */
function derivedInputs(schema: SectionSchema): Record<string, unknown>[] {
  const keys = Object.keys(schema.properties);
  const every = (value: unknown) => Object.fromEntries(keys.map((k) => [k, value]));
  return [
    {},
    every('x'),
    every(''),
    every(-1),
    every(true),
    { ...every('a'.repeat(300)), compute_nodes: -1, frontend_nodes_min: 'many', global_var_x: 3 },
    { bogus_key: 'y', compute_groups: 'slurm_worker', ansible_forks: 7, frontend_var_x: 'v' },
  ];
}

describe('precompiled section validators give exactly what ajv compiles at run time', () => {
  const compiled = createConfigAjv();
  for (const [name, schema] of Object.entries(catalog)) {
    it(`${name}: same verdict, defaults and errors`, () => {
      const ajvCheck = compiled.compile(schema);
      let invalid = 0;
      for (const data of derivedInputs(schema)) {
        const expected = outcome(ajvCheck, data);
        if (!expected.valid) invalid++;
        expect(outcome(precompiledFor(sectionChecks, schema), data), JSON.stringify(data)).toEqual(expected);
      }
      expect(invalid).toBeGreaterThan(0);
    });
  }
});

interface SectionCase {
  name: string;
  schema: keyof ReturnType<typeof sectionSchemaCatalog>;
  entries: Record<string, string>;
  env?: Record<string, string>;
  /** Problems the section must have (also proves the formats and messages ran). */
  problems: RegExp[];
}

const SECTION_CASES: SectionCase[] = [
  { name: 'local cloud, defaults only', schema: 'cloud_local', entries: { provider: 'local' }, problems: [] },
  {
    name: 'local cloud, valid values',
    schema: 'cloud_local',
    entries: { provider: 'local', subnet: '10.1.0.0/16', bridge: 'br-herd', nat: 'off' },
    problems: [],
  },
  {
    name: 'local cloud, bad subnet, bridge and nat',
    schema: 'cloud_local',
    entries: { provider: 'local', subnet: '10.0.0.0/31', bridge: 'a-bridge-name-too-long', nat: 'maybe' },
    problems: [/prefix from \/8 to \/30/, /at most 15/, /not a boolean/],
  },
  {
    name: 'ec2 cloud, bad URL, keys from the environment',
    schema: 'cloud_ec2_boto',
    entries: { provider: 'ec2_boto', ec2_url: 'ftp://example.test', ec2_region: 'nova' },
    env: { EC2_ACCESS_KEY: 'AKIA', EC2_SECRET_KEY: 'secret' },
    problems: [/write a URL/],
  },
  {
    name: 'ec2 cloud, misspelt key',
    schema: 'cloud_ec2_boto',
    entries: { provider: 'ec2_boto', ec2_regoin: 'nova' },
    env: { EC2_ACCESS_KEY: 'AKIA', EC2_SECRET_KEY: 'secret' },
    problems: [/unknown key \(did you mean "ec2_region"\?\)/, /required key is missing; add ec2_region/],
  },
  {
    name: 'login, missing user and empty key',
    schema: 'login',
    entries: { image_sudo: 'True', user_key_name: '' },
    problems: [/required key is missing/, /is empty/],
  },
  {
    name: 'setup, groups and variables',
    schema: 'setup',
    entries: { frontend_groups: 'slurm_master', global_var_x: '1', ansible_forks: '10' },
    problems: [],
  },
  {
    name: 'local cluster, counts and timeouts',
    schema: 'cluster_local',
    entries: {
      cloud: 'c',
      login: 'l',
      setup: 's',
      compute_nodes: '2',
      start_timeout: '0',
      ssh_probe_timeout: 'x',
    },
    problems: [/too small/, /not a whole number/],
  },
  {
    name: 'cluster of an unknown provider, negative count',
    schema: 'cluster_any_provider',
    entries: { cloud: 'c', login: 'l', setup: 's', compute_nodes: '-2' },
    problems: [/too small/],
  },
  { name: 'google node override', schema: 'node_google', entries: { flavor: 'n1-standard-1' }, problems: [] },
];

describe('the config validator with precompiled checks', () => {
  it.each(SECTION_CASES)(
    '$name: same values and problems as with ajv',
    ({ schema: name, entries, env = {}, problems }) => {
      const schema = catalog[name]!;
      const calls: unknown[] = [];
      const counting = new Map(
        Object.values(catalog).map((s) => [schemaKey(s), spyOn(precompiledFor(sectionChecks, s), calls)]),
      );
      const section = sectionInput(`section/${name}`, entries);
      const viaBuild = createSchemaValidator((key) => counting.get(key)).validate(section, schema, env);
      const viaAjv = createSchemaValidator().validate(section, schema, env);
      expect(calls.length, 'the precompiled validator ran').toBe(1);
      expect(viaBuild).toEqual(viaAjv);
      expect(viaBuild.problems.map((p) => p.message)).toHaveLength(problems.length);
      for (const problem of problems)
        expect(viaBuild.problems.map((p) => p.message).join('\n')).toMatch(problem);
    },
  );
});

/** `check`, recording each call in `calls`; ajv's errors stay readable on the wrapper. */
function spyOn(check: ValidateFunction, calls: unknown[]): ValidateFunction {
  const spy = ((data: unknown) => {
    calls.push(data);
    const valid = check(data);
    spy.errors = check.errors;
    return valid;
  }) as ValidateFunction;
  return spy;
}

function sectionInput(name: string, values: Record<string, string>) {
  const entries = new Map<string, IniEntry>(
    Object.entries(values).map(([key, value], i) => [
      key,
      { key, value, file: '/etc/herd/config', line: i + 2 },
    ]),
  );
  return { name, file: '/etc/herd/config', line: 1, entries };
}

describe('whole configurations load the same from a build with and without precompiled validators', () => {
  const configs: { name: string; text: string; dropIn?: string | undefined }[] = [
    { name: 'BASE', text: BASE },
    { name: 'EC2', text: EC2 },
    { name: 'default config', text: readFileSync(join(root, 'config-templates', 'config'), 'utf8') },
    ...[...CASES, ...WARNING_CASES].map((c) => ({
      name: c.name,
      text: c.text ?? `${BASE}${c.append ?? ''}\n`,
      dropIn: c.dropIn,
    })),
  ];

  it(`${configs.length} configurations: same templates, defaults, errors and warnings`, async () => {
    const built = await importFrom<typeof ConfigModule>('built', 'config/index.js');
    const fallback = await importFrom<typeof ConfigModule>('fallback', 'config/index.js');
    const dir = join(work, 'configs');
    let invalid = 0;
    for (const [i, config] of configs.entries()) {
      const file = join(dir, String(i), 'config');
      await mkdir(`${file}.d`, { recursive: true });
      await writeFile(file, config.text);
      if (config.dropIn !== undefined) await writeFile(join(`${file}.d`, '20-extra.conf'), config.dropIn);
      const options = {
        configPath: file,
        env: { HOME: '/home/tester' },
        playbooksDir: '/opt/herd/playbooks',
      };
      const expected = await fallback.loadConfig(options);
      if (expected.errors.length + expected.invalid.size > 0) invalid++;
      expect(await built.loadConfig(options), config.name).toEqual(expected);
    }
    expect(invalid).toBeGreaterThanOrEqual(CASES.length);
  });
});

describe('the precompiled state validator gives exactly what ajv compiles at run time', () => {
  const valid = storedSample('/var/lib/herd', 'alpha', 2) as unknown as Record<string, unknown>;
  const node = (valid['nodes'] as Record<string, unknown>[])[0]!;
  const template = valid['template'] as Record<string, unknown>;
  const records: Record<string, Record<string, unknown>> = {
    valid,
    'valid, setup done': { ...valid, setupCompletedAt: '2026-01-02T03:04:05Z' },
    empty: {},
    'newer version': { ...valid, version: 99 },
    'extra key': { ...valid, owner: 'bob' },
    'bad node state and time': { ...valid, nodes: [{ ...node, state: 'exploded', createdAt: 'yesterday' }] },
    'negative count, object setting': {
      ...valid,
      template: {
        ...template,
        kinds: [{ name: 'compute', count: -1, min: 0, groups: [], vars: {}, settings: { x: {} } }],
      },
    },
    'wrong types': { ...valid, name: '', nodes: {}, id: 42 },
    'paths stored': { ...valid, paths: { privateKey: '/elsewhere' } },
  };
  const ajvCheck = createStateAjv().compile(clusterStateSchema);

  it.each(Object.keys(records))('%s', (name) => {
    const expected = outcome(ajvCheck, records[name]!);
    expect(expected.valid).toBe(name.startsWith('valid'));
    expect(outcome(precompiledFor(stateChecks, clusterStateSchema), records[name]!)).toEqual(expected);
  });
});

describe('a built herd', () => {
  /** Runs herd from a copy in-process in a child node; returns its output and the CommonJS modules it loaded. */
  async function runCopy(copy: 'built' | 'fallback', args: string[], env: Record<string, string>) {
    const out = join(work, `${copy}-${args[0]}.json`);
    const script = `
      import { writeFileSync } from 'node:fs';
      import { createRequire } from 'node:module';
      const main = process.env.HERD_TEST_MAIN;
      const { run } = await import(main);
      const code = await run(JSON.parse(process.env.HERD_TEST_ARGS));
      writeFileSync(process.env.HERD_TEST_OUT, JSON.stringify({ code, loaded: Object.keys(createRequire(main).cache) }));`;
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        ...process.env,
        ...env,
        HERD_TEST_MAIN: pathToFileURL(inCopy(copy, 'cli/main.js')).href,
        HERD_TEST_ARGS: JSON.stringify(args),
        HERD_TEST_OUT: out,
      },
      encoding: 'utf8',
    });
    const { code, loaded } = JSON.parse(await readFile(out, 'utf8')) as { code: number; loaded: string[] };
    return { code, stdout, loaded };
  }

  it('lists templates and clusters without loading ajv, with the same output as the fallback', async () => {
    const home = join(work, 'home');
    const storage = join(home, 'storage');
    const config = join(home, 'config');
    await mkdir(home, { recursive: true });
    await writeFile(config, BASE);
    const repo = await StateRepository.open(storage);
    await repo.save(sampleState(storage, 'alpha'));
    const env = { HOME: home, HERD_CONFIG: config, HERD_STORAGE: storage };
    const compilerModule = /\/node_modules\/ajv\/dist\/(ajv|core|compile\/index)\.js$/;

    for (const command of ['list-templates', 'list']) {
      const built = await runCopy('built', [command], env);
      const fallback = await runCopy('fallback', [command], env);
      expect(built.code, command).toBe(0);
      expect(built.stdout, command).toContain(command === 'list' ? 'alpha' : 'slurm');
      expect(built.stdout, command).toBe(fallback.stdout);
      // Not even ajv's run-time helpers: the generated validators hold them.
      expect(
        built.loaded.filter((m) => m.includes('/node_modules/ajv/')),
        command,
      ).toEqual([]);
      if (command === 'list-templates') {
        // Only the validators of the sections the config has, not one for every provider.
        const validators = built.loaded.filter((m) => m.includes('/config/schema/validators/'));
        expect(validators.length).toBeGreaterThan(0);
        expect(validators.length).toBeLessThan(Object.keys(catalog).length);
      }
      // The same probe sees ajv when the generated modules are missing, so its silence above means something.
      expect(fallback.loaded.filter((m) => compilerModule.test(m)).length, command).toBeGreaterThan(0);
    }
  });
});
