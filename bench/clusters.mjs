// Cluster benchmarks on real local nodes (root): cold and warm start of 1+2 nodes to a working Slurm, a
// setup re-run on the unchanged cluster (skipped, and --force), resize -a 2, an 11-node start and its re-run, and the setup cost of each bundled recipe.
// Figures only; nothing is asserted.
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
    rows.push(
      timed('setup re-run on the unchanged cluster (skipped)', herd, ['setup', 'slurm'], env(warmCache)),
    );
    rows.push(
      timed('setup --force on the unchanged cluster', herd, ['setup', 'slurm', '--force'], env(warmCache)),
    );
    rows.push(
      timed('resize -a 2:compute on 1+2', herd, ['resize', 'slurm', '-a', '2:compute'], env(warmCache)),
    );
    stop(warmCache);
    rows.push(
      timed(
        'start --nodes 10:compute (11 nodes, warm)',
        herd,
        ['start', 'slurm', '--nodes', '10:compute'],
        env(warmCache),
      ),
    );
    rows.push(
      timed('setup re-run on the unchanged 1+10 (skipped)', herd, ['setup', 'slurm'], env(warmCache)),
    );
    stop(warmCache);
  } finally {
    stop(warmCache);
    rmSync(coldCache, { recursive: true, force: true });
  }
  return rows.map(({ stdout: _stdout, ...r }) => r);
}

/**
 * Setup sections of the recipes measured by benchRecipes: groups per kind and variables, on 1 frontend +
 * 2 compute nodes. Each builds on the Slurm baseline, as researchers' configs do.
 */
const RECIPES = {
  slurm: { frontend: 'slurm_master', compute: 'slurm_worker', vars: [] },
  accounting: {
    frontend: 'slurm_master',
    compute: 'slurm_worker',
    vars: ['global_var_slurm_accounting=yes', 'global_var_cluster_users=alice,bob'],
  },
  gridengine: { frontend: 'gridengine_master', compute: 'gridengine_worker', vars: [] },
  ganglia: { frontend: 'ganglia_master', compute: 'ganglia_monitor', vars: [] },
  hpc: { frontend: 'slurm_master,hpc', compute: 'slurm_worker,hpc', vars: [] },
  r: { frontend: 'slurm_master,r', compute: 'slurm_worker,r', vars: [] },
  jupyterhub: {
    frontend: 'slurm_master,jupyterhub',
    compute: 'slurm_worker',
    vars: ['global_var_cluster_users=alice,bob'],
  },
};

function recipeConfig(bridge, subnet) {
  const parts = [
    `[cloud/local]\nprovider=local\nbridge=${bridge}\nsubnet=${subnet}\n[login/local]\nimage_user=root\n`,
  ];
  for (const [name, r] of Object.entries(RECIPES)) {
    parts.push(
      `[setup/${name}]\nprovider=ansible\nfrontend_groups=${r.frontend}\ncompute_groups=${r.compute}\n${r.vars.join('\n')}\n`,
      `[cluster/${name}]\ncloud=local\nlogin=local\nsetup=${name}\nimage_id=debian-12-hpc\nfrontend_nodes=1\ncompute_nodes=2\nssh_to=frontend\n`,
    );
  }
  return parts.join('\n');
}

/**
 * Setup cost of each recipe on a 1+2 cluster of the warm debian-12-hpc image: the first `herd setup` (packages the
 * image lacks come from the mirror, as on a cloud image) and a forced re-run on the unchanged cluster (a plain
 * re-run is skipped: nothing changed).
 */
export async function benchRecipes({ herd, work }) {
  const rows = [];
  const home = join(work, 'recipes');
  mkdirSync(join(home, 'storage'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, 'config'), recipeConfig('hrc9', '10.134.9.0/24'));
  const env = {
    HOME: home,
    HERD_CONFIG: join(home, 'config'),
    HERD_STORAGE: join(home, 'storage'),
    HERD_IMAGE_CACHE: process.env.HERD_IMAGE_CACHE || '/var/cache/herd-test-images',
  };
  const stop = (name) =>
    spawnSync(process.execPath, [herd, 'stop', name, '--yes', '--force'], {
      env: { ...process.env, ...env },
    });
  for (const name of Object.keys(RECIPES)) {
    try {
      timed(`${name}: start 1+2 --no-setup`, herd, ['start', name, '--no-setup'], env);
      rows.push(timed(`recipe ${name}: first setup (1+2)`, herd, ['setup', name], env));
      rows.push(
        timed(`recipe ${name}: setup --force re-run, unchanged`, herd, ['setup', name, '--force'], env),
      );
    } catch (error) {
      rows.push({ label: `recipe ${name}`, seconds: undefined, error: String(error).split('\n')[0] });
    } finally {
      stop(name);
    }
  }
  return rows.map(({ stdout: _stdout, ...r }) => r);
}
