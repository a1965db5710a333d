// Cluster benchmarks on real local nodes (root): cold and warm start of 1+2 nodes to a working Slurm, a
// setup re-run on the unchanged cluster, and an 11-node start. Figures only; nothing is asserted.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTestDoubles } from './test-doubles.mjs';

function timed(label, herd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [herd, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${label}: herd ${args.join(' ')} exited ${r.status}\n${r.stderr}`);
  return { label, seconds: Math.round(seconds * 10) / 10, stdout: r.stdout };
}

/** Runs the cluster benchmarks; returns rows for bench/run.mjs to print. */
export async function benchClusters({ herd, work }) {
  const rows = [];
  const home = join(work, 'cluster');
  mkdirSync(join(home, 'storage'), { recursive: true, mode: 0o700 });
  const { localSlurmConfig } = await loadTestDoubles(mkdtempSync(join(work, 'test-doubles-')));
  writeFileSync(join(home, 'config'), localSlurmConfig({ bridge: 'herdbench0', subnet: '10.82.0.0/24' }));
  const coldCache = mkdtempSync(join('/var/tmp', 'herd-bench-images-'));
  const env = (cache) => ({
    HOME: home,
    HERD_CONFIG: join(home, 'config'),
    HERD_STORAGE: join(home, 'storage'),
    HERD_IMAGE_CACHE: cache,
  });
  const warmCache = process.env.HERD_IMAGE_CACHE || '/var/cache/herd-test-images';
  const stop = (cache) =>
    spawnSync(process.execPath, [herd, 'stop', 'slurm', '--yes', '--force'], {
      env: { ...process.env, ...env(cache) },
    });
  try {
    const cold = timed(
      'start 1+2 to Slurm setup done (cold image cache)',
      herd,
      ['start', 'slurm'],
      env(coldCache),
    );
    rows.push(cold);
    stop(coldCache);
    const warm = timed(
      'start 1+2 to Slurm setup done (warm image cache)',
      herd,
      ['start', 'slurm'],
      env(warmCache),
    );
    rows.push(warm);
    const sinfo = timed(
      '  sinfo after warm start',
      herd,
      ['ssh', 'slurm', '--', 'sinfo', '-h', '-o', '%D_%t'],
      env(warmCache),
    );
    rows.push({ label: '  sinfo (nodes_state)', seconds: undefined, result: sinfo.stdout.trim() });
    rows.push(timed('setup re-run on the unchanged cluster', herd, ['setup', 'slurm'], env(warmCache)));
    stop(warmCache);
    rows.push(
      timed(
        'start --nodes 10:compute (11 nodes, warm)',
        herd,
        ['start', 'slurm', '--nodes', '10:compute'],
        env(warmCache),
      ),
    );
    stop(warmCache);
  } finally {
    stop(warmCache);
    rmSync(coldCache, { recursive: true, force: true });
  }
  return rows.map(({ stdout: _stdout, ...r }) => r);
}
