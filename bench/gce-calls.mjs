// GCE API calls and herd's own time for 1, 10 and 100 compute nodes (+1 frontend) against the fake
// Compute Engine API (test/fakes/gce, compiled here with tsc since Node 20 cannot run TypeScript).
// Drives dist/providers/gce the way src/cluster/grow.ts does: prepare, one createNodes per kind in
// parallel, describeNodes until every node runs; then terminates. Figures only; nothing is asserted.
// Needs `npm run build` first. Run alone: node bench/gce-calls.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Compiles the fake into `outDir` and imports it. */
async function loadFake(outDir) {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '--outDir',
      outDir,
      '--rootDir',
      join(root, 'test/fakes/gce'),
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--skipLibCheck',
      join(root, 'test/fakes/gce/index.ts'),
    ],
    { cwd: root, stdio: 'inherit' },
  );
  // The compiled files are ESM: mark the directory as such.
  execFileSync(process.execPath, [
    '-e',
    `require('fs').writeFileSync(${JSON.stringify(join(outDir, 'package.json'))}, '{"type":"module"}')`,
  ]);
  return import(pathToFileURL(join(outDir, 'index.js')).href);
}

const silent = { info() {}, warn() {}, debug() {} };

async function oneRun(startFakeGce, createGceProvider, computeNodes) {
  const fake = await startFakeGce({
    project: 'herd-bench',
    internalSubnet: '10.87.0.0/16',
    runningDelayMs: 200,
  });
  try {
    const cloud = {
      name: 'bench',
      provider: 'google',
      settings: { gce_project_id: 'herd-bench', gce_api_endpoint: fake.url, zone: 'us-central1-a' },
    };
    const provider = await createGceProvider(
      cloud,
      { storageDir: tmpdir(), log: silent },
      {
        env: { GOOGLE_OAUTH_ACCESS_TOKEN: 'bench-token' },
      },
    );
    const login = {
      user: 'herd',
      publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench bench',
      keyName: undefined,
    };
    const kinds = [
      ['frontend', 1],
      ['compute', computeNodes],
    ];
    const t0 = process.hrtime.bigint();
    await provider.prepare('bench', login);
    const created = await Promise.all(
      kinds.map(([kind, n]) =>
        provider.createNodes({
          cluster: 'bench',
          runId: 'b1',
          kind,
          nodes: Array.from({ length: n }, (_, i) => {
            const name = `${kind}${String(i + 1).padStart(3, '0')}`;
            return { name, cloudName: `bench-${name}` };
          }),
          settings: { image_id: 'debian-12', flavor: 'e2-small', external_ip: false },
          login,
        }),
      ),
    );
    const ids = created.flatMap((r) => r.created.map((c) => c.instanceId));
    let delay = 500;
    for (;;) {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 4000);
      const statuses = await provider.describeNodes('bench', ids);
      if (statuses.every((s) => s.state === 'running')) break;
    }
    const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const startCalls = { ...fake.calls };
    fake.resetCalls();
    const t1 = process.hrtime.bigint();
    await provider.terminateNodes('bench', ids);
    const stopMs = Number(process.hrtime.bigint() - t1) / 1e6;
    return { startMs, stopMs, startCalls, stopCalls: { ...fake.calls }, left: fake.instances().length };
  } finally {
    await fake.stop();
  }
}

/** Rows for bench/run.mjs: one per cluster size. */
export async function benchGceCalls({ work }) {
  const fakeDir = mkdtempSync(join(work, 'gce-fake-'));
  const { startFakeGce } = await loadFake(fakeDir);
  const { createGceProvider } = await import(pathToFileURL(join(root, 'dist/providers/gce/index.js')).href);
  const rows = [];
  for (const n of [1, 10, 100]) {
    const run = await oneRun(startFakeGce, createGceProvider, n);
    rows.push({
      label: `gce fake: start 1+${n}, poll to running`,
      medianMs: Math.round(run.startMs),
      calls: run.startCalls,
    });
    rows.push({
      label: `gce fake: terminate 1+${n}`,
      medianMs: Math.round(run.stopMs),
      calls: run.stopCalls,
      left: run.left,
    });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const work = mkdtempSync(join(tmpdir(), 'herd-bench-gce-'));
  try {
    for (const r of await benchGceCalls({ work })) {
      console.log(
        `${r.label.padEnd(44)} ${r.medianMs} ms calls=${JSON.stringify(r.calls)}${r.left === undefined ? '' : ` left=${r.left}`}`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
