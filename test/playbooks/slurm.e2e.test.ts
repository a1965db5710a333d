/**
 * The bundled playbooks on real nodes: 1 master + 2 workers booted with systemd-nspawn, `site.yml` run with
 * ansible-playbook, then Slurm, the shared /home and idempotence checked from the nodes themselves. Once on
 * an image with the packages preinstalled (configure only) and once on a plain image (apt over NAT).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  destroyNodes,
  type FixtureImage,
  onNode,
  type PlaybookRun,
  readAddresses,
  runPlaybook,
  startNodes,
  stopNodes,
  writeInventory,
} from './fixture/cluster.js';

const MASTER = 'master001';
const WORKERS = ['worker001', 'worker002'];

/** A failed run shows Ansible's own output: that is where the failing task and host are named. */
function expectSuccess(run: PlaybookRun): void {
  if (run.exitCode !== 0) expect.fail(`ansible-playbook exited ${run.exitCode}:\n${run.output.slice(-6000)}`);
}

/** Node names per state from `sinfo -N`, e.g. { idle: ['worker001'] }. */
async function nodeStates(masterIp: string): Promise<Record<string, string[]>> {
  const out = await onNode(masterIp, "sinfo --noheader --Node --format='%N %T'");
  const states: Record<string, string[]> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const [node, state] = line.trim().split(/\s+/);
    states[state!] = [...(states[state!] ?? []), node!];
  }
  return states;
}

async function waitFor(condition: () => Promise<boolean>, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    if (await condition()) return;
    await sleep(1000);
  }
  expect.fail(`condition not met within ${seconds} s: ${condition.toString()}`);
}

type Groups = Record<string, readonly string[]>;
const cases: { image: FixtureImage; groups: Groups; resize: boolean }[] = [
  { image: 'debian-12-hpc', groups: { slurm_master: [MASTER], slurm_worker: WORKERS }, resize: true },
  // ElastiCluster's old worker group names, one worker in each
  {
    image: 'debian-12',
    groups: { slurm_master: [MASTER], slurm_workers: [WORKERS[0]!], slurm_clients: [WORKERS[1]!] },
    resize: false,
  },
];

describe.each(cases)('site.yml on $image nodes', ({ image, groups, resize }) => {
  let inventory = '';
  let masterIp = '';
  let firstRun: PlaybookRun;

  beforeAll(async () => {
    if (process.getuid?.() !== 0)
      throw new Error('booting nspawn nodes needs root: run the e2e tests as root');
    await destroyNodes(); // leftovers of an interrupted earlier run
    await startNodes(image, [MASTER, ...WORKERS]);
    inventory = await writeInventory(groups);
    masterIp = (await readAddresses()).get(MASTER)!;
  });

  afterAll(async () => {
    await destroyNodes();
  });

  it('configures the cluster on the first run', async () => {
    firstRun = await runPlaybook('site.yml', inventory);
    console.log(`[playbooks] ${image}: first run of site.yml took ${firstRun.seconds.toFixed(1)} s`);
    expectSuccess(firstRun);
    expect([...firstRun.recap.keys()].sort()).toEqual([MASTER, ...WORKERS]);
  });

  it('shows both workers idle in sinfo', async () => {
    const states = await nodeStates(masterIp);
    expect(states['idle']?.sort()).toEqual(WORKERS);
  });

  it('runs a job on both workers', async () => {
    const out = await onNode(masterIp, 'timeout 60 srun -N2 hostname');
    expect(out.split('\n').sort()).toEqual(WORKERS);
  });

  it('shares /home from the master with every worker', async () => {
    const addresses = await readAddresses();
    const marker = `written on ${WORKERS[1]} at ${Date.now()}`;
    await onNode(addresses.get(WORKERS[1]!)!, `echo '${marker}' > /home/herd-share-test.txt`);
    expect(await onNode(masterIp, 'cat /home/herd-share-test.txt')).toBe(marker);
    expect(await onNode(addresses.get(WORKERS[0]!)!, 'cat /home/herd-share-test.txt')).toBe(marker);
  });

  it('enables every service, so the cluster comes back after a reboot', async () => {
    const addresses = await readAddresses();
    expect(await onNode(masterIp, 'systemctl is-enabled munge slurmctld')).toBe('enabled\nenabled');
    for (const worker of WORKERS) {
      const out = await onNode(addresses.get(worker)!, 'systemctl is-enabled munge slurmd home.mount');
      expect(out).toBe('enabled\nenabled\nenabled');
    }
  });

  it('changes nothing on a second run', async () => {
    const second = await runPlaybook('site.yml', inventory);
    console.log(`[playbooks] ${image}: second run of site.yml took ${second.seconds.toFixed(1)} s`);
    expectSuccess(second);
    const changed = [...second.recap].filter(([, r]) => r.changed > 0).map(([h, r]) => `${h}: ${r.changed}`);
    expect(second.recap.size).toBe(3);
    expect(changed, second.output.slice(-6000)).toEqual([]);
  });

  // Only one image grows and shrinks (the slower plain image would repeat the same steps).
  if (resize) {
    it('grows by a worker, then drains and drops it', async () => {
      const added = 'worker003';
      const addresses = await readAddresses();
      const slurmdPids = () =>
        Promise.all(
          WORKERS.map((w) => onNode(addresses.get(w)!, 'systemctl show -p MainPID --value slurmd')),
        );
      const pidsBefore = await slurmdPids();
      await startNodes(image, [added]);
      inventory = await writeInventory({ slurm_master: [MASTER], slurm_worker: [...WORKERS, added] });
      const grow = await runPlaybook('site.yml', inventory);
      console.log(`[playbooks] ${image}: site.yml after adding ${added} took ${grow.seconds.toFixed(1)} s`);
      expectSuccess(grow);
      expect((await nodeStates(masterIp))['idle']?.sort()).toEqual([...WORKERS, added]);
      // Configless: the workers already there fetched the new configuration without a restart, and a job spans
      // old and new nodes.
      expect(await slurmdPids()).toEqual(pidsBefore);
      expect((await onNode(masterIp, 'timeout 60 srun -N3 hostname')).split('\n').sort()).toEqual([
        ...WORKERS,
        added,
      ]);

      // A job still running on the node: the drain must wait for it.
      const job = await onNode(masterIp, `sbatch --parsable --nodelist=${added} --wrap='sleep 8'`);
      await waitFor(
        async () => (await onNode(masterIp, `squeue --noheader --format=%T --jobs=${job}`)) === 'RUNNING',
      );
      const drain = await runPlaybook('slurm-drain.yml', inventory, [
        '-e',
        JSON.stringify({ herd_remove_nodes: [added], herd_drain_poll: 2 }),
      ]);
      expectSuccess(drain);
      expect(drain.output).toMatch(/FAILED - RETRYING: \[master001\]: Wait until no job runs on them/);
      expect(await onNode(masterIp, `squeue --noheader --nodelist=${added}`)).toBe('');
      expect((await nodeStates(masterIp))['drained']).toEqual([added]);

      await stopNodes([added]);
      inventory = await writeInventory({ slurm_master: [MASTER], slurm_worker: WORKERS });
      const shrink = await runPlaybook('site.yml', inventory);
      expectSuccess(shrink);
      expect(await nodeStates(masterIp)).toEqual({ idle: WORKERS });
    });
  }
});
