/**
 * The fault matrix on the local provider (real nodes): herd SIGKILLed at each phase boundary of
 * start, resize and stop (see test/helpers/fault-matrix.ts). Kill points follow what herd prints and
 * writes: its progress lines, the state file, a node's node.json. createNodes returns running nodes
 * and herd goes straight on to the SSH wait: there is no polling phase here, and "create returned" is
 * the SSH wait's kill point.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { createHerdHome, type HerdHome, localConfig, nspawnPidsUnder } from '../helpers/cluster.js';
import { clusterSection } from '../helpers/configs.js';
import {
  ansibleProcessesUnder,
  defineMatrix,
  killOnOutput,
  killWhenExists,
  killWhenState,
  type MatrixCase,
  type MatrixCloud,
  type SavedState,
  stateFileOf,
} from '../helpers/fault-matrix.js';
import { killSpawnedHerds, readStateFile } from '../helpers/herd-process.js';
import { canRunLocalNodes, interfaceExists, mountsUnder, nftTableExists } from '../helpers/local-nodes.js';

const BRIDGE = 'hid1';
const SUBNET = '10.101.0.0/24';
const CLUSTER = 'fml';

// A resume that cannot reach a node fails in 2 minutes, not 10.
const EXTRA = `\n${clusterSection({
  name: CLUSTER,
  cloud: 'local',
  login: 'local',
  settings: { image_id: 'debian-12-hpc' },
  computeNodes: 1,
  after: { start_timeout: 120 },
})}`;

/** `local/nodes/<cluster>-<id>` of the cluster, while its state file names the id. */
function nodesDir(cloud: MatrixCloud): string | undefined {
  const id = readStateFile<SavedState>(stateFileOf(cloud))?.id;
  return id === undefined ? undefined : join(cloud.home.storage, 'local', 'nodes', `${CLUSTER}-${id}`);
}

/** node.json of any node of the cluster, once one exists. */
function nodeRecord(cloud: MatrixCloud): string | undefined {
  const dir = nodesDir(cloud);
  if (!dir || !existsSync(dir)) return undefined;
  return readdirSync(dir)
    .map((n) => join(dir, n, 'node.json'))
    .find((f) => existsSync(f));
}

/** node.json of the node a resize is adding (`creating` in state), once it exists. */
function addedNodeRecord(cloud: MatrixCloud): string | undefined {
  const dir = nodesDir(cloud);
  const added = readStateFile<SavedState>(stateFileOf(cloud))?.nodes.find((n) => n.state === 'creating');
  return dir && added ? join(dir, added.name, 'node.json') : undefined;
}

const CASES: MatrixCase[] = [
  { command: 'start', phase: 'intent saved', arm: killOnOutput(/^Nodes: /m) },
  { command: 'start', phase: 'create call sent (a node.json written)', arm: killWhenExists(nodeRecord) },
  { command: 'start', phase: 'SSH wait', arm: killOnOutput(/running, waiting for SSH/) },
  {
    command: 'start',
    phase: 'Ansible running',
    arm: killOnOutput(/(TASK \[[^\n]*\n[\s\S]*){4}/),
    setup: true,
  },
  // The plan line names only the nodes being added.
  { command: 'resize', phase: 'intent saved', arm: killOnOutput(/^Nodes: compute\d+/m) },
  { command: 'resize', phase: 'create call sent', arm: killWhenExists(addedNodeRecord) },
  { command: 'resize', phase: 'SSH wait', arm: killOnOutput(/compute\d+: running, waiting for SSH/) },
  {
    command: 'stop',
    phase: 'intent saved (nodes terminating)',
    arm: killWhenState((s) => s.nodes.length > 0 && s.nodes.every((n) => n.state === 'terminating')),
  },
  {
    command: 'stop',
    phase: 'terminate under way (a node removed)',
    arm: killWhenExists((cloud) => {
      const dir = nodesDir(cloud);
      const state = readStateFile<SavedState>(stateFileOf(cloud));
      if (!dir || !state?.nodes.every((n) => n.state === 'terminating')) return undefined;
      const gone = state.nodes.some((n) => !existsSync(join(dir, n.name)));
      // The state file itself: it exists while herd has not finished.
      return gone ? stateFileOf(cloud) : undefined;
    }),
  },
];

/** Every trace of the cluster herd may leave on this host. */
async function leftovers(home: HerdHome): Promise<string[]> {
  const found: string[] = [];
  for (const pid of nspawnPidsUnder(home.storage)) found.push(`nspawn process ${pid}`);
  for (const mount of await mountsUnder(home.storage)) found.push(`mount ${mount}`);
  const nodes = join(home.storage, 'local', 'nodes');
  for (const dir of existsSync(nodes) ? readdirSync(nodes) : []) found.push(`node dir ${dir}`);
  for (const root of ['/sys/fs/cgroup/unified/herd', '/sys/fs/cgroup/systemd/herd', '/sys/fs/cgroup/herd']) {
    if (!existsSync(root)) continue;
    for (const group of readdirSync(root)) if (group.startsWith(`${CLUSTER}-`)) found.push(`cgroup ${group}`);
  }
  const leases = `/run/herd/net/${BRIDGE}.json`;
  if (existsSync(leases)) found.push(`lease file ${readFileSync(leases, 'utf8').trim()}`);
  if (interfaceExists(BRIDGE)) found.push(`bridge ${BRIDGE}`);
  if (nftTableExists('ip', `herd_${BRIDGE}`)) found.push(`nft table herd_${BRIDGE}`);
  for (const pid of ansibleProcessesUnder(home.storage)) found.push(`ansible-playbook ${pid}`);
  return found;
}

/** Machine names of the nodes on disk (their directories). */
async function liveInstances(home: HerdHome): Promise<string[]> {
  const nodes = join(home.storage, 'local', 'nodes');
  if (!existsSync(nodes)) return [];
  return readdirSync(nodes).flatMap((dir) => readdirSync(join(nodes, dir)).map((node) => `${dir}-${node}`));
}

describe.skipIf(!canRunLocalNodes)('fault matrix: local provider', () => {
  let home: HerdHome;
  let cloud: MatrixCloud;

  beforeAll(async () => {
    home = await createHerdHome({
      bridge: BRIDGE,
      subnet: SUBNET,
      config: localConfig({ bridge: BRIDGE, subnet: SUBNET, extra: EXTRA }),
    });
    cloud = { home, cluster: CLUSTER, user: 'root', leftovers: () => leftovers(home) };
  });
  afterAll(async () => {
    await killSpawnedHerds();
    await home?.destroy();
  });

  defineMatrix({
    cloud: () => cloud,
    cases: CASES,
    liveInstances: () => liveInstances(home),
  });
});
