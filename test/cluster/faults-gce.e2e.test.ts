/**
 * The fault matrix on GCE: the fake Compute API, with a node farm booting a real node for each
 * instance at its internal IP (see test/helpers/fault-matrix.ts for what each case checks). Kill
 * points are requests arriving at the fake (refused after the kill, so GCE never acts on them, or
 * acted on while herd is gone), progress lines and the state file.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type FakeGce, type GceInstanceJson, type RequestRecord, startFakeGce } from '../fakes/gce/index.js';
import { createNodeFarm, type NodeFarm } from '../helpers/cloud-nodes.js';
import { createHerdHome, type HerdHome } from '../helpers/cluster.js';
import { gceSlurmConfig } from '../helpers/configs.js';
import {
  type Arm,
  ansibleProcessesUnder,
  defineMatrix,
  killOnOutput,
  type MatrixCase,
  type MatrixCloud,
} from '../helpers/fault-matrix.js';
import { killSpawnedHerds } from '../helpers/herd-process.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'hid3';
const SUBNET = '10.103.1.0/24';
const CLUSTER = 'fmg';

function config(url: string): string {
  return gceSlurmConfig(url, {
    comment: 'herd fault matrix: GCE through the fake REST API',
    name: CLUSTER,
    computeNodes: 1,
    // A resume that cannot reach a node fails in 2 minutes, not 10.
    after: { start_timeout: 120 },
  });
}

/** `user:key` lines of the instance's ssh-keys metadata. */
function sshKeys(instance: GceInstanceJson): { user: string; key: string }[] {
  const value = instance.metadata?.items?.find((i) => i.key === 'ssh-keys')?.value ?? '';
  return value
    .split('\n')
    .filter((l) => l.includes(':'))
    .map((l) => ({ user: l.slice(0, l.indexOf(':')), key: l.slice(l.indexOf(':') + 1).trim() }));
}

let fake: FakeGce;
/** The armed case's request hook (the fake keeps its hooks for ever: one dispatcher). */
let armed: ((method: string, r: RequestRecord) => void) | undefined;

/**
 * Kills herd when a request of `method` arrives (`when` picks which). `refuse`: the fake then fails
 * that request (and any the dead process still had in flight), so GCE never acts on it; otherwise the
 * fake carries it out with herd gone.
 */
function killAtRequest(
  method: string,
  refuse: boolean,
  when: (r: RequestRecord) => boolean = () => true,
): Arm {
  return (run) => {
    armed = (m, r) => {
      if (m === method && refuse && run.killed()) {
        fake.failRequests({ method, status: 503, reason: 'backendError', times: 1 });
      } else if (m === method && when(r) && run.kill() && refuse) {
        fake.failRequests({ method, status: 503, reason: 'backendError', times: 1 });
      }
    };
    return () => {
      armed = undefined;
    };
  };
}

/** Kills herd at its first poll: a list without a run filter after `inserts` bulkInserts. */
function killAtPoll(inserts: number): Arm {
  return (run) => {
    let seen = 0;
    armed = (m, r) => {
      if (m === 'instances.bulkInsert') seen++;
      if (m === 'instances.list' && seen >= inserts && !(r.query['filter'] ?? '').includes('herd-run'))
        run.kill();
    };
    return () => {
      armed = undefined;
    };
  };
}

const CASES: MatrixCase[] = [
  { command: 'start', phase: 'intent saved', arm: killAtRequest('instances.bulkInsert', true) },
  { command: 'start', phase: 'create call sent', arm: killAtRequest('instances.bulkInsert', false) },
  // herd saves the instance ids the create call returned, then polls: one kill point for both.
  { command: 'start', phase: 'create returned (ids saved), first poll', arm: killAtPoll(2) },
  { command: 'start', phase: 'SSH wait', arm: killOnOutput(/running, waiting for SSH/) },
  {
    command: 'start',
    phase: 'Ansible running',
    arm: killOnOutput(/(TASK \[[^\n]*\n[\s\S]*){4}/),
    setup: true,
  },
  { command: 'resize', phase: 'intent saved', arm: killAtRequest('instances.bulkInsert', true) },
  { command: 'resize', phase: 'create call sent', arm: killAtRequest('instances.bulkInsert', false) },
  { command: 'resize', phase: 'SSH wait', arm: killOnOutput(/compute\d+: running, waiting for SSH/) },
  {
    command: 'stop',
    phase: 'intent saved (nodes terminating)',
    arm: killAtRequest('instances.delete', true),
  },
  { command: 'stop', phase: 'terminate sent', arm: killAtRequest('instances.delete', false) },
];

describe.skipIf(!canRunLocalNodes)(
  'fault matrix: GCE (fake Compute API + real nodes at the instances IPs)',
  () => {
    let farm: NodeFarm;
    let home: HerdHome;
    let cloud: MatrixCloud;

    const ours = () => fake.instances().filter((i) => i.labels?.['herd-cluster'] === CLUSTER);
    const liveInstances = async () => ours().map((i) => `us-central1-a/${i.name}`);
    const leftovers = async () => [
      ...ours().map((i) => `instance ${i.name} (${i.status})`),
      ...ansibleProcessesUnder(home.storage).map((pid) => `ansible-playbook ${pid}`),
    ];

    beforeAll(async () => {
      farm = await createNodeFarm({ bridge: BRIDGE, subnet: SUBNET });
      fake = await startFakeGce({ internalSubnet: SUBNET, runningDelayMs: 200 });
      fake.onRequest((m, r) => armed?.(m, r));
      // RUNNING once the node has booted, as GCE reports a VM once it runs.
      fake.onInstanceInserted(async (instance) => {
        const [login] = sshKeys(instance);
        if (!login) throw new Error(`${instance.name} has no ssh-keys metadata`);
        await farm.boot({
          id: instance.name,
          hostname: instance.name,
          ip: instance.networkInterfaces[0]!.networkIP!,
          user: login.user,
          publicKey: login.key,
        });
      });
      fake.onInstanceDeleted((instance) => farm.destroy(instance.name));
      home = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: config(fake.url) });
      home.env['GOOGLE_OAUTH_ACCESS_TOKEN'] = 'matrix-token';
      cloud = {
        home,
        cluster: CLUSTER,
        user: 'herd',
        leftovers,
        settle: () => farm.removed(),
      };
    });

    afterAll(async () => {
      await killSpawnedHerds();
      await home?.destroy();
      await fake?.stop();
      await farm?.teardown();
    });

    defineMatrix({
      cloud: () => cloud,
      cases: CASES,
      liveInstances,
      check: () => {
        expect(farm.errors).toEqual([]);
        expect(fake.hookErrors).toEqual([]);
      },
    });
  },
);
