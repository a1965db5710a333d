// Local Slurm clusters at scale (root, real nodes; `npm run bench -- --scale`, sizes with
// `--scale-sizes=10,30,100`): 1 frontend + N compute nodes of the warm debian-12-hpc image, from
// `start --no-setup` (boot + SSH) and `setup` (Ansible) to N idle workers answering an N-node `srun`.
// Per phase: wall time, herd's own peak RSS (VmHWM of the herd process), controller CPU seconds
// (herd + the ansible-playbook it waits for) per node, the load average, and host figures at full
// size (neighbour table entries, inotify instances). Figures only; nothing is asserted.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadTestDoubles } from './test-doubles.mjs';

/** The process's VmHWM (kB), or undefined once it is gone. */
function peakRssKb(pid) {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return undefined;
  }
}

/** Seconds of `times` output such as `1m2.500s`. */
const timesSeconds = (text) => {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
};

// bash starts herd as its child and, once herd has exited, prints with `times` the CPU of its waited-for
// children: herd plus every process herd waited for (ansible-playbook and its forks), which /proc's cutime of
// a running herd does not show until herd reaps them. fd 3 carries herd's pid and that figure.
const TIMED = 'node "$@" 3>&- & echo $! >&3; wait $!; rc=$?; times >&3; exit $rc';

/**
 * Runs herd, sampling its peak RSS every 200 ms; resolves with wall seconds, peak RSS, CPU seconds of herd
 * and everything it ran (user + system), and the seconds at which its stderr first matched `mark` (herd
 * prints progress lines as they happen).
 */
function measured(herd, args, env, mark) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('bash', ['-c', TIMED, 'bash', herd, ...args], {
      env: { ...process.env, ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let fd3 = '';
    child.stdio[3].on('data', (d) => (fd3 += d));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    let markS;
    child.stderr.on('data', (d) => {
      err += d;
      if (mark && markS === undefined && mark.test(err)) markS = Number(process.hrtime.bigint() - t0) / 1e9;
    });
    let hwmKb = 0;
    const timer = setInterval(() => {
      const pid = Number(fd3.split('\n')[0]);
      if (pid > 0) hwmKb = peakRssKb(pid) ?? hwmKb;
    }, 200);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      // `times`: the shell's own user and system time, then its children's.
      const [user, system] = (fd3.trim().split('\n')[2] ?? '').trim().split(/\s+/);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`herd ${args.join(' ')} exited ${code}\n${err.slice(-3000)}`));
      else
        resolve({
          seconds,
          markS,
          rssMiB: hwmKb / 1024,
          cpuSeconds: timesSeconds(user) + timesSeconds(system),
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
      // The command that failed, then the end of its stderr, where herd says why.
      const lines = String(error).split('\n');
      rows.push({ label, seconds: undefined, error: [lines[0], ...lines.slice(1).slice(-8)].join(' / ') });
    } finally {
      stop();
    }
  }
  return rows;
}
