// The test code the benchmarks share with the tests, compiled from test/ with tsc: moto_server's helper,
// the GCE and OpenStack fakes (they import only node: modules) and the config files of test/helpers/configs.ts.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Compiles the shared test files into `outDir` and returns everything they export, in one object. */
export async function loadTestDoubles(outDir) {
  const entries = ['helpers/moto.ts', 'fakes/gce/index.ts', 'fakes/openstack/index.ts', 'helpers/configs.ts'];
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '--outDir',
      outDir,
      '--rootDir',
      join(root, 'test'),
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--skipLibCheck',
      ...entries.map((entry) => join(root, 'test', entry)),
    ],
    { cwd: root, stdio: 'inherit' },
  );
  // The compiled files are ESM: mark the directory as such.
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
  const modules = await Promise.all(
    entries.map((entry) => import(pathToFileURL(join(outDir, entry.replace(/\.ts$/, '.js'))).href)),
  );
  return Object.assign({}, ...modules);
}
