#!/usr/bin/env node
// Build step after tsc (`npm run build`): bundles the compiled CLI (dist/cli/herd.js and what it
// imports) into dist/bundle/, which bin/herd runs. Loading a few files instead of ~60 ES modules is
// most of what `herd --help` and `herd list-templates` cost at start-up (issue 14).
//
//   node scripts/bundle.mjs [DIST]
//
// - CommonJS chunks (*.cjs): bin/herd compiles them with a V8 code cache (see bin/herd), which Node 20
//   offers for CommonJS code only. Bundled modules load each other with require(). Packages stay
//   outside the bundle (the cloud SDKs, ssh2, listr2, ajv and yargs load only when a command uses
//   them), except the small ones in INLINED; a static import of a package becomes a require() (of an
//   ES module too, such as execa: Node >= 20.19 allows that), a dynamic import() stays an import().
// - Chunks: `cli` holds what every run loads (main.ts and what it imports: help text, command
//   declarations, errors) and the shell completion (`herd __complete` stays quick); `startup` what a
//   command that reads the config loads with it (the command-line parser, config loading and
//   validation, list-templates); everything else is split along herd's dynamic imports as before, so
//   a command loads only the code it uses.
// - The entry, `cli` and `startup` may not contain an import() (the build fails): code compiled with
//   a code cache cannot run one without an experimental Node flag, so bin/herd compiles a chunk that
//   has one without its cache, and start-up would lose most of what the cache saves.
// - The bundle is made from the compiled modules of dist/, so it runs exactly the code the tests
//   import. Each module's `import.meta.url` keeps meaning its own file in dist/ (its validators,
//   help.json and package.json are found next to it as before). Source maps (dist/bundle/*.map) point
//   back to those modules; bin/herd turns them on with --debug.
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, RolldownMagicString } from 'rolldown';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const dist = resolve(process.argv[2] ?? join(root, 'dist'));
const out = join(dist, 'bundle');

/** Packages bundled with herd's code: small, needed by every command that parses a command line. */
const INLINED = ['yargs-parser'];

/** Modules (compiled, in dist/) from which the `startup` chunk is gathered: they and what they import. */
const STARTUP_ROOTS = ['cli/quick-parse.js', 'cli/commands/list-templates.js', 'config/index.js'];

const isPackage = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');
const inlined = (id) => INLINED.some((name) => id === name || id.startsWith(`${name}/`));

/** The modules `from` imports statically, directly or not, themselves included. */
function staticClosure(ctx, from) {
  const seen = new Set();
  const todo = [...from];
  while (todo.length > 0) {
    const id = todo.pop();
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(ctx.getModuleInfo(id)?.importedIds ?? []));
  }
  return seen;
}

const chunkOf = new Map();
rmSync(out, { recursive: true, force: true });
const result = await build({
  input: { herd: join(dist, 'cli', 'herd.js') },
  platform: 'node',
  // The entry exports `main`, which bin/herd calls.
  preserveEntrySignatures: 'allow-extension',
  external: (id) => isPackage(id) && !inlined(id),
  plugins: [
    {
      name: 'herd-module-urls',
      // `import.meta.url` of a module becomes its own URL in dist/, computed from the chunk's URL.
      transform(code, id) {
        if (!code.includes('import.meta.url')) return null;
        const path = JSON.stringify(relative(out, id));
        const url = `new URL(${path}, import.meta.url).href`;
        // A magic string: the source map still maps the rest of the line.
        return { code: new RolldownMagicString(code).replaceAll('import.meta.url', url) };
      },
      buildEnd(error) {
        if (error) return;
        const entry = join(dist, 'cli', 'herd.js');
        const cli = staticClosure(this, [entry, join(dist, 'cli', 'completion', 'complete.js')]);
        // The entry itself stays out: bin/herd requires it by name.
        for (const id of cli) if (id !== entry) chunkOf.set(id, 'cli');
        const roots = STARTUP_ROOTS.map((p) => join(dist, p));
        const missing = roots.filter((id) => !this.getModuleInfo(id));
        if (missing.length > 0) {
          throw new Error(`STARTUP_ROOTS names modules the CLI does not import: ${missing.join(', ')}`);
        }
        for (const id of staticClosure(this, roots)) {
          if (!cli.has(id)) chunkOf.set(id, 'startup');
        }
      },
      generateBundle(_options, bundle) {
        const early = Object.values(bundle).filter(
          (c) => c.type === 'chunk' && (c.isEntry || ['cli', 'startup'].includes(c.name)),
        );
        for (const chunk of early) {
          if (/\bimport\s*\(/.test(chunk.code)) {
            throw new Error(
              `${chunk.fileName} (${chunk.name}) contains an import(), so bin/herd would compile it ` +
                'without its code cache (start-up slows down). Import that module statically, or from a ' +
                'module outside STARTUP_ROOTS and the CLI entry (a comment that spells import( counts too).',
            );
          }
        }
      },
    },
  ],
  output: {
    dir: out,
    format: 'cjs',
    // Strict mode, as the ES modules of dist/ run (and the tests import): CommonJS code is sloppy without it.
    strict: true,
    entryFileNames: '[name].cjs',
    chunkFileNames: '[name]-[hash].cjs',
    sourcemap: true,
    // The maps name the modules of dist/ (test/cli/startup.test.ts reads them too); their text is there.
    sourcemapExcludeSources: true,
    codeSplitting: {
      groups: ['cli', 'startup'].map((name) => ({
        name,
        test: (id) => chunkOf.get(id) === name,
        // Each group holds exactly its modules: `startup` imports the shared ones from `cli`.
        includeDependenciesRecursively: false,
      })),
    },
  },
});
const files = result.output.filter((o) => o.type === 'chunk');
console.log(
  `bundle: wrote dist/bundle/ (${files.length} chunks; cli and startup hold ${chunkOf.size} modules)`,
);
