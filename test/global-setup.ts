import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Builds dist/ (as `npm run build` does, except the validators) once before the tests that run the CLI binary, so they never test a stale build. */
export default function setup(): void {
  const root = resolve(import.meta.dirname, '..');
  execFileSync(
    process.execPath,
    [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  // The help texts printed without yargs are rendered from the freshly compiled declarations.
  execFileSync(process.execPath, [resolve(root, 'scripts/render-help.mjs')], { cwd: root, stdio: 'inherit' });
}
