#!/usr/bin/env node
// herd's benchmarks: figures for the notes, never assertions. `npm run bench` runs the CLI start-up
// benchmarks and, as root, real local clusters (minutes); `npm run bench -- --quick` skips the clusters,
// `--no-recipes` the per-recipe setup costs, `--recipes-only` everything else about clusters.
// `--scale` (root) runs only the scale benchmark (bench/scale.mjs): 1+10, 1+30 and 1+100 local Slurm
// nodes to an N-node srun, or the sizes of `--scale-sizes=10,30`; run it under /work/tools/e2e.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const herd = join(root, 'bin', 'herd');
const args = new Set(process.argv.slice(2));
// An unknown flag (a typo, or --help) must not fall through to the full run: as root that boots clusters.
const FLAGS = ['--quick', '--no-cloud', '--no-recipes', '--recipes-only', '--scale'];
const unknown = [...args].filter((a) => !FLAGS.includes(a) && !a.startsWith('--scale-sizes='));
if (unknown.length > 0) {
  console.error(
    `bench/run.mjs: unknown option ${unknown.join(' ')}; known: ${FLAGS.join(' ')} --scale-sizes=N,M`,
  );
  process.exit(2);
}
const scaleSizes = process.argv
  .find((a) => a.startsWith('--scale-sizes='))
  ?.slice('--scale-sizes='.length)
  .split(',')
  .map(Number);

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** CPU time (user + system, ms) of this process's waited-for children, from /proc (Linux; 10 ms ticks). */
function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // cutime and cstime: fields 16 and 17 of stat(5), counted from the state field (3).
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

function timeRuns(label, argv, runs = 15, env = {}) {
  const times = [];
  const cpuBefore = childrenCpuMs();
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0 && !label.includes('expect-fail')) throw new Error(`${label} exited ${r.status}`);
  }
  const cpuAfter = childrenCpuMs();
  // Wall time depends on the machine's load; CPU time is what the start-up goal is stated in.
  const cpuMeanMs =
    cpuBefore === undefined ? undefined : Math.round(((cpuAfter - cpuBefore) / runs) * 10) / 10;
  return { label, medianMs: Math.round(median(times) * 10) / 10, cpuMeanMs };
}

function twentyTemplateConfig(dir) {
  const parts = [
    '[cloud/local]\nprovider=local\n',
    '[login/local]\nimage_user=root\n',
    '[setup/slurm]\nprovider=ansible\nfrontend_groups=slurm_master\ncompute_groups=slurm_worker\n',
  ];
  for (let i = 1; i <= 20; i++) {
    parts.push(
      `[cluster/t${i}]\ncloud=local\nlogin=local\nsetup=slurm\nfrontend_nodes=1\ncompute_nodes=${i}\nssh_to=frontend\nimage_id=debian-12\n`,
    );
  }
  const path = join(dir, 'config');
  writeFileSync(path, parts.join('\n'));
  return path;
}

const results = [];
const work = mkdtempSync(join(tmpdir(), 'herd-bench-'));
try {
  if (args.has('--scale') || scaleSizes) {
    if (process.getuid?.() !== 0) throw new Error('--scale boots real local nodes: run it as root');
    const { benchScale } = await import('./scale.mjs');
    results.push(...(await benchScale({ herd, work, ...(scaleSizes ? { sizes: scaleSizes } : {}) })));
  } else {
    const config = twentyTemplateConfig(work);
    const env = { HERD_CONFIG: config, HERD_STORAGE: join(work, 'storage') };
    const bare = timeRuns('node -e 0', [process.execPath, '-e', '0']);
    const help = timeRuns('herd --help', [process.execPath, herd, '--help'], 15, env);
    const list = timeRuns(
      'herd list-templates (20 templates)',
      [process.execPath, herd, 'list-templates'],
      15,
      env,
    );
    results.push(bare, help, list);
    for (const r of [help, list]) {
      r.ratioToBareNode = Math.round((r.medianMs / bare.medianMs) * 100) / 100;
      if (r.cpuMeanMs !== undefined)
        r.cpuRatioToBareNode = Math.round((r.cpuMeanMs / bare.cpuMeanMs) * 100) / 100;
    }
    results.push({
      label: 'load average (1, 5, 15 min)',
      loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    });

    // Cloud orchestration against moto (and the GCE fake): API calls by action, herd's own time.
    if (!args.has('--no-cloud')) {
      const { benchCloud } = await import('./cloud.mjs');
      results.push(...(await benchCloud({ work })));
    }

    // Real clusters need root and take minutes; --quick skips them.
    if (!args.has('--quick') && process.getuid?.() === 0) {
      const { benchClusters, benchRecipes } = await import('./clusters.mjs');
      if (!args.has('--recipes-only')) results.push(...(await benchClusters({ herd, work })));
      // Setup cost per bundled recipe (several minutes: packages come from the mirror); --no-recipes skips it.
      if (!args.has('--no-recipes')) results.push(...(await benchRecipes({ herd, work })));
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const r of results) {
  const figure =
    r.medianMs !== undefined ? `${r.medianMs} ms` : r.seconds !== undefined ? `${r.seconds} s` : '';
  const extra = Object.entries(r)
    .filter(([k, v]) => !['label', 'medianMs', 'seconds'].includes(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' ');
  console.log(`${r.label.padEnd(52)} ${figure} ${extra}`.trimEnd());
}
