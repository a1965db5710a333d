// Local Slurm clusters at scale (root, real nodes; `npm run bench -- --scale`, sizes with
// `--scale-sizes=10,30,100`): 1 frontend + N compute nodes of the warm debian-12-hpc image, from
// `start --no-setup` (boot + SSH) and `setup` (Ansible) to N idle workers answering an N-node `srun`.
// Per phase: wall time, herd's own peak RSS (VmHWM of the herd process), controller CPU seconds
// (herd + the ansible-playbook it waits for) per node, the load average, and host figures at full
// size (neighbour table entries, inotify instances). Figures only; nothing is asserted.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTestDoubles } from './test-doubles.mjs';

const TICKS = 100; // USER_HZ on Linux

/** utime+stime of the process and of its waited-for children, and its VmHWM (kB), or undefined once gone. */
function sample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { cpu, hwmKb: Number(hwm ?? 0) };
  } catch {
    return undefined;
  }
}

/**
 * Runs herd, sampling it every 200 ms; resolves with wall seconds, peak RSS, CPU seconds, and the
 * seconds at which its stderr first matched `mark` (herd prints progress lines as they happen).
 */
function measured(herd, args, env, mark) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [herd, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    let markS;
    child.stderr.on('data', (d) => {
      err += d;
      if (mark && markS === undefined && mark.test(err)) markS = Number(process.hrtime.bigint() - t0) / 1e9;
    });
    let last = { cpu: 0, hwmKb: 0 };
    const timer = setInterval(() => {
      last = sample(child.pid) ?? last;
    }, 200);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`herd ${args.join(' ')} exited ${code}\n${err.slice(-3000)}`));
      else
        resolve({
          seconds,
          markS,
          rssMiB: last.hwmKb / 1024,
          cpuSeconds: last.cpu,
          stdout: out,
          stderr: err,
        });
    });
  });
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const round1 = (x) => Math.round(x * 10) / 10;

/** Host-wide neighbour table entries (all network namespaces share one table). */
function neighbourEntries() {
  const lines = readFileSync('/proc/net/stat/arp_cache', 'utf8').trim().split('\n');
  return Number.parseInt(lines[1]?.trim().split(/\s+/)[0] ?? '0', 16);
}

/** inotify instances open on the host (every process, every user). */
function inotifyInstances() {
  let count = 0;
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') count++;
      } catch {}
    }
  }
  return count;
}

/** Runs 1+N for each size; returns rows for bench/run.mjs to print. */
export async function benchScale({ herd, work, sizes = [10, 30, 100] }) {
  const rows = [];
  const home = join(work, 'scale');
  mkdirSync(join(home, 'storage'), { recursive: true, mode: 0o700 });
  const { localSlurmConfig } = await loadTestDoubles(join(work, 'scale-doubles'));
  writeFileSync(join(home, 'config'), localSlurmConfig({ bridge: 'hsc9', subnet: '10.189.0.0/24' }));
  const env = {
    HOME: home,
    HERD_CONFIG: join(home, 'config'),
    HERD_STORAGE: join(home, 'storage'),
    HERD_IMAGE_CACHE: process.env.HERD_IMAGE_CACHE || '/var/cache/herd-test-images',
  };
  const stop = () =>
    spawnSync(process.execPath, [herd, 'stop', 'slurm', '--yes', '--force'], {
      env: { ...process.env, ...env },
    });
  for (const n of sizes) {
    const label = `scale 1+${n}`;
    const loadBefore = load();
    try {
      // Local nodes are reported running once every container has booted: the rest is the SSH wait.
      const boot = await measured(
        herd,
        ['start', 'slurm', '--nodes', `${n}:compute`, '--no-setup'],
        env,
        /running, waiting for SSH/,
      );
      const host = { neighbours: neighbourEntries(), inotify: inotifyInstances() };
      const raised = /Raised host limits[^\n]*/.exec(boot.stderr)?.[0];
      const setup = await measured(herd, ['setup', 'slurm'], env);
      const idle = await measured(herd, ['ssh', 'slurm', '--', 'sinfo', '-h', '-t', 'idle', '-o', '%D'], env);
      const srun = await measured(
        herd,
        ['ssh', 'slurm', '--', `srun -N ${n} hostname | sort -u | wc -l`],
        env,
      );
      const nodes = n + 1;
      rows.push({
        label: `${label}: to ${n}-node srun`,
        seconds: round1(boot.seconds + setup.seconds + idle.seconds + srun.seconds),
        bootAndSshS: round1(boot.seconds),
        bootS: boot.markS === undefined ? undefined : round1(boot.markS),
        setupS: round1(setup.seconds),
        srunS: round1(srun.seconds),
        idleWorkers: Number(idle.stdout.trim()),
        srunHosts: Number(srun.stdout.trim()),
        herdPeakRssMiB: round1(Math.max(boot.rssMiB, setup.rssMiB)),
        controllerCpuSPerNode: round1((boot.cpuSeconds + setup.cpuSeconds) / nodes),
        bootCpuS: round1(boot.cpuSeconds),
        setupCpuS: round1(setup.cpuSeconds),
        neighbourEntries: host.neighbours,
        inotifyInstances: host.inotify,
        loadBefore,
        loadAfter: load(),
        ...(raised ? { raised } : {}),
      });
    } catch (error) {
      rows.push({ label, seconds: undefined, error: String(error).split('\n').slice(0, 6).join(' / ') });
    } finally {
      stop();
    }
  }
  return rows;
}
