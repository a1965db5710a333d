/**
 * Every bundled recipe on one cluster of real nodes (systemd-nspawn, image with the recipes' packages baked in so
 * the run only configures): Slurm with accounting, MPI, per-kind partitions, configless workers, health check and
 * log rotation; the cluster's users; Grid Engine; ganglia; hpc with Lmod modules; R; JupyterHub. Each is proven by
 * a real job or request, then a second run of site.yml must change nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFixture, type PlaybookRun } from './fixture/cluster.js';

const fixture = createFixture({
  workDir: '/var/tmp/herd-rc',
  bridge: 'hrc0',
  net: '10.130.0',
  cgroup: 'herd-rc',
  nftTable: 'herd_rc',
});
const { onNode } = fixture;

const MASTER = 'master001';
// Two worker kinds (node names are <kind><NNN>), one under ElastiCluster's old group name; a submit host.
const COMPUTE = 'compute001';
const BIGMEM = 'bigmem001';
const WORKERS = [BIGMEM, COMPUTE];
const LOGIN = 'login001';
const NODES = [MASTER, COMPUTE, BIGMEM, LOGIN];
const GROUPS = {
  slurm_master: [MASTER],
  slurm_worker: [COMPUTE],
  slurm_workers: [BIGMEM],
  slurm_client: [LOGIN],
  gridengine_master: [MASTER],
  gridengine_worker: WORKERS,
  ganglia_master: [MASTER],
  ganglia_monitor: [COMPUTE, BIGMEM, LOGIN],
  hpc: NODES,
  r: WORKERS,
  jupyterhub: [MASTER],
};
const VARS = { cluster_users: 'alice:2001,bob', slurm_accounting: 'true' };

function expectSuccess(run: PlaybookRun): void {
  if (run.exitCode !== 0) expect.fail(`ansible-playbook exited ${run.exitCode}:\n${run.output.slice(-8000)}`);
}

/** Polls `probe` once a second until it returns a value (not undefined); fails with the last error after `seconds`. */
async function eventually<T>(probe: () => Promise<T | undefined>, seconds = 60): Promise<T> {
  let last: unknown;
  for (let i = 0; i < seconds; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`not reached within ${seconds} s: ${probe.toString()}\nlast error: ${String(last)}`);
}

/** A login shell of `user` on the node (modules, PATH), the command quoted for it. */
function asUser(user: string, command: string): string {
  return `su - ${user} -c '${command.replace(/'/g, `'\\''`)}'`;
}

/** MPI hello world that needs the hdf5 module (its header lies outside the default include path) and BLAS. */
const HELLO_C = `#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
double ddot_(const int *n, const double *x, const int *incx, const double *y, const int *incy);
int main(int argc, char **argv) {
  int rank, size, len, n = 3, one = 1;
  unsigned maj, min, rel;
  double x[3] = {1, 2, 3};
  char host[MPI_MAX_PROCESSOR_NAME];
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(host, &len);
  H5get_libversion(&maj, &min, &rel);
  printf("rank %d of %d on %s hdf5 %u.%u ddot %.0f\\n", rank, size, host, maj, min, ddot_(&n, x, &one, x, &one));
  MPI_Finalize();
  return 0;
}
`;

/** Logs in to JupyterHub as a user (form login with the _xsrf cookie), then waits for the user's own server. */
const JUPYTER_LOGIN = `
import http.cookiejar, sys, time, urllib.parse, urllib.request
user, password = sys.argv[1], sys.argv[2]
base = 'http://127.0.0.1:8000'
jar = http.cookiejar.CookieJar()
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
web.open(base + '/hub/login').read()
xsrf = next((c.value for c in jar if c.name == '_xsrf'), '')
form = urllib.parse.urlencode({'username': user, 'password': password, '_xsrf': xsrf}).encode()
landed = web.open(base + '/hub/login', form)
print('logged in, landed on', landed.geturl(), file=sys.stderr)
for _ in range(90):
    try:
        reply = web.open(base + '/user/' + user + '/api')
        body = reply.read().decode()
        if reply.status == 200 and body.startswith('{'):
            print(body)
            sys.exit(0)
    except Exception as error:
        print(error, file=sys.stderr)
    time.sleep(1)
sys.exit(1)
`;

const FIRST_RUN = 'configures every recipe on the first run';

describe('site.yml with every recipe on one cluster', () => {
  let inventory = '';
  let ip: Map<string, string>;
  let firstRun: PlaybookRun;
  const on = (node: string, command: string, input?: string) => onNode(ip.get(node)!, command, input);

  beforeAll(async () => {
    if (process.getuid?.() !== 0)
      throw new Error('booting nspawn nodes needs root: run the e2e tests as root');
    await fixture.destroyNodes(); // leftovers of an interrupted earlier run
    await fixture.startNodes!('debian-12-recipes', NODES);
    inventory = await fixture.writeInventory(GROUPS, VARS);
    ip = await fixture.readAddresses();
  });

  afterAll(async () => {
    await fixture.destroyNodes();
  });

  // Without a configured cluster every later test would only wait for what cannot come: the first run's
  // failure (with Ansible's output) is the one to read.
  beforeEach((context) => {
    if (context.task.name !== FIRST_RUN && firstRun?.exitCode !== 0) context.skip();
  });

  it(FIRST_RUN, async () => {
    firstRun = await fixture.runPlaybook('site.yml', inventory);
    console.log(`[recipes] first run of site.yml took ${firstRun.seconds.toFixed(1)} s`);
    expectSuccess(firstRun);
    expect([...firstRun.recap.keys()].sort()).toEqual([...NODES].sort());
  });

  it('records finished jobs in accounting; the database password never leaves the master', async () => {
    // Separate stdout and stderr files: over sshfs (this kernel has no NFS) a file a job creates in /home belongs
    // to root, so a second open of the same file to append stderr is refused (see playbooks/README.md).
    const output = '-o slurm-%j.out -e slurm-%j.err';
    const why = async (job: string, submitted: string) => {
      const host = /BatchHost=(\S+)/.exec(await on(MASTER, `scontrol show job ${job}`))?.[1] ?? COMPUTE;
      const there = await on(
        host,
        `grep -E 'error|JobId=${job}' /var/log/slurm/slurmd.log | tail -n 20; ls -ld /home/alice; su - alice -c 'echo x > probe && ls -l probe' 2>&1`,
      );
      return `${submitted}\non ${host}:\n${there}`;
    };
    /** The job's row in slurmdbd's database, as sacct reads it (for the messages). */
    const row = (job: string) =>
      on(
        MASTER,
        `mysql --batch --skip-column-names slurm_acct_db -e 'SELECT id_user, time_eligible > 0, state FROM herd_job_table WHERE id_job=${job}'`,
      );
    const sacctJob = (job: string) =>
      on(MASTER, `sacct --noheader --parsable2 -X -j ${job} --format=State,UID,User`);
    const listedForAlice = async () =>
      (await on(MASTER, 'sacct --noheader --parsable2 -X -u alice -S now-1hours --format=JobID')).split('\n');

    // A job as a user runs it: it ends within a second, and sacct -j shows it COMPLETED.
    const quickOut = await on(
      MASTER,
      asUser('alice', `cd && sbatch --wait ${output} --wrap=id; echo "exit $?"`),
    );
    const quick = /Submitted batch job (\d+)/.exec(quickOut)?.[1];
    expect(quick, quickOut).toBeDefined();
    if (!quickOut.endsWith('exit 0')) expect.fail(await why(quick!, quickOut));
    await eventually(async () => ((await sacctJob(quick!)).startsWith('COMPLETED|') ? true : undefined));
    expect(await on(MASTER, `cat /home/alice/slurm-${quick}.out`)).toMatch(
      /^uid=2001\(alice\) gid=2001\(alice\)/,
    );

    // slurmctld sends a job's start record (user id, eligible time) to slurmdbd in a pass every few seconds, not
    // when the job starts; a job that ends first can be recorded from its end message alone, without a user id,
    // until that pass: sacct -j finds it at once, sacct -u only then (playbooks/README.md). Held until its start
    // record is in, a job is listed by user as soon as it ends: no wait on slurmctld's timing.
    const held = (await on(MASTER, asUser('alice', `cd && sbatch -H --parsable ${output} --wrap=id`))).split(
      ';',
    )[0]!;
    expect(held).toMatch(/^\d+$/);
    await eventually(async () => ((await sacctJob(held)) === 'PENDING|2001|alice' ? true : undefined));
    await on(MASTER, asUser('alice', `scontrol release ${held}`));
    const record = await eventually(async () => {
      const out = await sacctJob(held);
      return /^(COMPLETED|FAILED|CANCELLED|NODE_FAIL|TIMEOUT|OUT_OF_MEMORY)/.test(out) ? out : undefined;
    }, 120);
    if (!record.startsWith('COMPLETED|')) expect.fail(`${record}\n${await why(held, record)}`);
    expect(record).toBe('COMPLETED|2001|alice');
    expect(await listedForAlice(), await row(held)).toContain(held);
    const quickListed = (await listedForAlice()).includes(quick!);
    console.log(
      `[recipes] job ${quick} (about a second long): listed by sacct -u alice: ${quickListed}; id_user, eligible, state in the database: ${await row(quick!)}`,
    );
    expect(
      await on(MASTER, 'sacctmgr --noheader --parsable2 list user format=user,defaultaccount'),
    ).toContain('alice|users');

    const secret = await on(
      MASTER,
      'stat -c %U:%a /etc/slurm/slurmdbd-storage.conf; cat /etc/slurm/slurmdbd-storage.conf',
    );
    const [owner, line] = secret.split('\n');
    expect(owner).toBe('slurm:600');
    const password = line!.replace('StoragePass=', '');
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(firstRun.output).not.toContain(password);
    for (const node of [COMPUTE, LOGIN]) {
      expect(await on(node, `grep -rl -- '${password}' /etc /var/lib 2>/dev/null || true`)).toBe('');
    }
  });

  it('describes each worker as slurmd -C finds it, memory reserve kept, none drained', async () => {
    expect(await on(MASTER, 'sinfo --noheader -R')).toBe('');
    for (const worker of WORKERS) {
      const detected = Object.fromEntries(
        (await on(worker, 'slurmd -C | head -n 1'))
          .split(/\s+/)
          .map((kv) => kv.split('=') as [string, string]),
      );
      const shown = await on(MASTER, `scontrol show node ${worker}`);
      const field = (name: string) => new RegExp(`\\b${name}=(\\S+)`).exec(shown)?.[1];
      expect(field('CPUTot')).toBe(detected['CPUs']);
      expect(field('Boards')).toBe(detected['Boards']);
      expect(field('CoresPerSocket')).toBe(detected['CoresPerSocket']);
      expect(field('ThreadsPerCore')).toBe(detected['ThreadsPerCore']);
      expect(field('Sockets')).toBe(detected['SocketsPerBoard']);
      const memory = Number(detected['RealMemory']);
      expect(Number(field('RealMemory'))).toBe(memory - Math.max(256, Math.floor(memory * 0.05)));
      expect(field('AvailableFeatures')).toBe(`kind_${worker.replace(/\d+$/, '')}`);
    }
  });

  it('gives each worker kind a partition and a feature; the all-workers partition stays default', async () => {
    expect((await on(MASTER, "sinfo --noheader --format='%P %D'")).split('\n').sort()).toEqual([
      'bigmem 1',
      'compute 1',
      'main* 2',
    ]);
    for (const worker of WORKERS) {
      const kind = worker.replace(/\d+$/, '');
      expect(await on(MASTER, `srun -p ${kind} hostname`)).toBe(worker);
      expect(await on(MASTER, `srun -C kind_${kind} hostname`)).toBe(worker);
    }
    expect((await on(MASTER, 'srun -N2 hostname')).split('\n').sort()).toEqual(WORKERS);
  });

  it('runs workers configless: slurmd fetches slurm.conf from slurmctld', async () => {
    expect(await on(MASTER, "scontrol show config | grep -E '^SlurmctldParameters'")).toContain(
      'enable_configless',
    );
    for (const worker of WORKERS) {
      expect(await on(worker, 'test -e /etc/slurm/slurm.conf && echo local || echo none')).toBe('none');
      expect(await on(worker, 'grep -c ^NodeName= /run/slurm/conf/slurm.conf')).toBe('2');
    }
    // slurm_client (ElastiCluster's other name for a submit host) gets the file and submits jobs
    expect(await on(LOGIN, asUser('bob', 'srun -p compute hostname'))).toBe(COMPUTE);
  });

  it('compiles MPI code with modules in the shared /home and runs 4 ranks on 2 workers over PMIx', async () => {
    expect(await on(MASTER, "scontrol show config | sed -n 's/^MpiDefault *= *//p'")).toBe('pmix');
    await on(MASTER, `cat > /home/alice/hello.c && chown alice: /home/alice/hello.c`, HELLO_C);
    const build = 'cd && module load gcc openmpi hdf5 openblas && $MPICC -o hello hello.c -lhdf5 $BLAS_LIBS';
    // the hdf5 module is what puts hdf5.h on the compiler's path
    await expect(
      on(MASTER, asUser('alice', 'cd && mpicc -o hello hello.c -lhdf5 -lopenblas')),
    ).rejects.toThrow(/hdf5\.h/);
    await on(MASTER, asUser('alice', build));
    const out = await on(MASTER, asUser('alice', 'cd && srun -N2 -n4 ./hello'));
    const lines = out.split('\n').sort();
    expect(lines.map((l) => l.replace(/ on \S+/, ''))).toEqual(
      [0, 1, 2, 3].map((r) => expect.stringMatching(new RegExp(`^rank ${r} of 4 hdf5 1\\.\\d+ ddot 14$`))),
    );
    expect(new Set(lines.map((l) => / on (\S+)/.exec(l)?.[1]))).toEqual(new Set(WORKERS));
  });

  it('makes the users alike on every node, with passwordless SSH between nodes', async () => {
    const entries = await Promise.all(NODES.map((n) => on(n, 'getent passwd alice; getent group bob')));
    expect(new Set(entries).size).toBe(1);
    expect(entries[0]).toBe('alice:x:2001:2001::/home/alice:/bin/bash\nbob:x:2002:');
    expect(await on(MASTER, asUser('alice', `ssh -o BatchMode=yes ${COMPUTE} hostname`))).toBe(COMPUTE);
    expect(await on(COMPUTE, asUser('bob', `ssh -o BatchMode=yes ${BIGMEM} hostname`))).toBe(BIGMEM);
  });

  it('runs a Grid Engine job on a worker; qhost lists every worker', async () => {
    const qhost = await on(MASTER, 'qhost');
    for (const worker of WORKERS) expect(qhost).toMatch(new RegExp(`^${worker}\\s+\\S+\\s+\\d+`, 'm'));
    await on(MASTER, asUser('alice', 'cd && timeout 120 qsub -sync y -b y -cwd -j y -o ge.out hostname'));
    expect(WORKERS).toContain(await on(MASTER, 'cat /home/alice/ge.out'));
  });

  it('collects every node in gmetad on the ganglia master', async () => {
    const read = `python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", 8651)); print(b"".join(iter(lambda: s.recv(65536), b"")).decode())'`;
    const hosts = await eventually(async () => {
      const xml = await on(MASTER, read);
      const names = [...xml.matchAll(/<HOST NAME="([^"]+)"/g)].map((m) => m[1]).sort();
      return names.length === NODES.length ? names : undefined;
    }, 120);
    expect(hosts).toEqual([...NODES].sort());
  });

  it('runs R on a worker through Slurm', async () => {
    const out = await on(
      MASTER,
      asUser('alice', `srun -p bigmem Rscript -e 'cat(sum(1:10), Sys.info()[["nodename"]])'`),
    );
    expect(out).toBe(`55 ${BIGMEM}`);
  });

  it("logs a user in to JupyterHub (on the master's loopback only) and starts the user's server", async () => {
    expect(await on(MASTER, "ss -Hltn 'sport = :8000' | awk '{print $4}'")).toBe('127.0.0.1:8000');
    await on(MASTER, 'chpasswd', 'alice:herd-test-password\n');
    const status = await on(MASTER, `python3 - alice herd-test-password`, JUPYTER_LOGIN);
    expect(JSON.parse(status)).toHaveProperty('version');
    expect(await on(MASTER, 'pgrep -u alice -f jupyterhub-singleuser >/dev/null && echo running')).toBe(
      'running',
    );
  });

  it('drains a worker whose health check hook fails and resumes it once the hook passes', async () => {
    const hook = '/etc/slurm/healthcheck.d/50-test';
    await on(
      COMPUTE,
      `printf '#!/bin/sh\\necho scratch disk missing; exit 1\\n' > ${hook} && chmod +x ${hook}`,
    );
    await on(COMPUTE, 'systemctl restart slurmd');
    const reason = await eventually(async () => {
      const out = await on(MASTER, `sinfo --noheader -R --format='%n|%E'`);
      return out.includes(COMPUTE) ? out : undefined;
    });
    expect(reason).toBe(`${COMPUTE}|herd-health: 50-test: scratch disk missing`);
    await on(COMPUTE, `rm ${hook} && systemctl restart slurmd`);
    await eventually(async () =>
      (await on(MASTER, `sinfo --noheader --nodes=${COMPUTE} --format=%t`)) === 'idle' ? true : undefined,
    );
    expect(await on(MASTER, 'sinfo --noheader -R')).toBe('');
  });

  it("rotates Slurm's logs, and leaves the clock to the host in containers", async () => {
    await on(MASTER, 'logrotate -f /etc/logrotate.d/slurmctld');
    expect(await on(MASTER, 'ls /var/log/slurm/')).toMatch(/^slurmctld\.log\.1\.gz$/m);
    await eventually(async () =>
      (await on(MASTER, 'scontrol ping >/dev/null; test -s /var/log/slurm/slurmctld.log && echo yes')) ===
      'yes'
        ? true
        : undefined,
    );
    for (const node of NODES) {
      expect(await on(node, 'command -v chronyd >/dev/null && echo present || echo absent')).toBe('absent');
    }
  });

  it('changes nothing on a second run', async () => {
    const second = await fixture.runPlaybook('site.yml', inventory);
    console.log(`[recipes] second run of site.yml took ${second.seconds.toFixed(1)} s`);
    expectSuccess(second);
    const changed = [...second.recap].filter(([, r]) => r.changed > 0).map(([h, r]) => `${h}: ${r.changed}`);
    expect(second.recap.size).toBe(NODES.length);
    expect(changed, second.output.slice(-8000)).toEqual([]);
  });
});
