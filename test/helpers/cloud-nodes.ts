/**
 * Real machines behind a cloud API double. A cloud test double (moto for EC2, the GCE fake) decides
 * which instances exist and which private IP each one has; this "farm" boots a real local node
 * (systemd-nspawn, OpenSSH) at that IP on a host bridge, with the login key the cloud would inject
 * (EC2 key pair, GCE `ssh-keys` metadata). herd then goes through its EC2 or GCE code path and
 * reaches real nodes with real SSH, Ansible and Slurm. Nodes are stopped by recorded PID.
 */
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeInstancesCommand, DescribeKeyPairsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Logger } from '../../src/log.js';
import { bootNewNode } from '../../src/providers/local/boot.js';
import { ensureImage } from '../../src/providers/local/image.js';
import {
  type BridgeNetwork,
  chooseNameserver,
  DEFAULT_RUN_DIR,
  ensureBridge,
  leaseAddress,
  releaseAddress,
} from '../../src/providers/local/network.js';
import {
  type NodeRecordFile,
  nodePaths,
  readNodeRecord,
  removeNodeDir,
  shutdownNode,
} from '../../src/providers/local/node.js';
import { gatewayOf, parseSubnet } from '../../src/providers/local/subnet.js';
import { silentLogger } from '../../src/ui/log.js';
import { TEST_IMAGE_CACHE, teardownLocalNodes } from './local-nodes.js';

/** What the cloud says about one instance, as far as booting it goes. */
export interface FarmInstance {
  /** Cloud instance id (EC2 `i-...`, GCE instance name). */
  id: string;
  /** Host name the cloud's image would give the machine. */
  hostname: string;
  /** The private IP the cloud assigned; must lie in the farm's subnet. */
  ip: string;
  /** Login user and key, as the cloud injects them. */
  user: string;
  publicKey: string;
  /** User data / startup script, run once at first boot. */
  userdata?: string | undefined;
}

/** Real nodes standing in for cloud instances. */
export interface NodeFarm {
  readonly storageDir: string;
  /** Boots a node for the instance unless one runs already. Boot errors are kept in `errors`. */
  boot(instance: FarmInstance): Promise<void>;
  /** Stops and removes the instance's node, if any. */
  destroy(id: string): Promise<void>;
  /** Ids of instances with a node (nodes being removed are not listed). */
  ids(): string[];
  /** Resolves once every node being removed is gone. */
  removed(): Promise<void>;
  /** Boot failures so far (a test asserts there were none). */
  readonly errors: Error[];
  /** Stops every node by recorded PID, unmounts, releases leases, removes the bridge and the dir. */
  teardown(): Promise<void>;
}

const FARM_CLUSTER = 'farm';

/** Boot warnings (a relaunch) go to the test's output, so a run that needed one says so. */
const farmLog: Logger = { ...silentLogger, warn: (message) => console.warn(`farm: ${message}`) };

/** A farm on `bridge` with `subnet` (CIDR; the bridge takes the first address as gateway). */
export async function createNodeFarm(options: { bridge: string; subnet: string }): Promise<NodeFarm> {
  const storageDir = await mkdtemp(join(tmpdir(), 'herd-farm-'));
  const subnet = parseSubnet(options.subnet);
  const net: BridgeNetwork = {
    bridge: options.bridge,
    subnet,
    nat: true,
    runDir: DEFAULT_RUN_DIR,
    section: 'cloud/farm',
  };
  const cacheDir = process.env['HERD_IMAGE_CACHE'] || TEST_IMAGE_CACHE;
  const lowerDir = ensureImage('debian-12-hpc', { cacheDir, log: silentLogger });
  const nodes = new Map<string, Promise<void>>();
  const destroying = new Set<Promise<void>>();
  const errors: Error[] = [];

  async function bootOne(instance: FarmInstance): Promise<void> {
    // Clouds hand a freed address to the next instance: wait until the node that had it is gone.
    await Promise.all(destroying);
    const machine = `farm-${instance.id}`;
    const paths = nodePaths(storageDir, FARM_CLUSTER, instance.id);
    const gateway = await ensureBridge(net, silentLogger);
    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const ip = await leaseAddress(net, { machine, nodeDir: paths.dir }, silentLogger, {
      preferred: instance.ip,
    });
    if (ip !== instance.ip)
      throw new Error(`farm: ${instance.ip} is taken on ${options.bridge}; ${instance.id} got ${ip}`);
    const record: NodeRecordFile = {
      version: 2,
      machine,
      cluster: FARM_CLUSTER,
      node: instance.id,
      kind: 'cloud',
      image: 'debian-12-hpc',
      lowerDir: await lowerDir,
      bridge: options.bridge,
      ip,
    };
    const nameserver = chooseNameserver(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''), gateway);
    // The local provider's own boot: relaunched once when nspawn dies during boot.
    await bootNewNode(
      paths,
      record,
      {
        hostname: instance.hostname,
        ip,
        prefix: subnet.prefix,
        gateway: gatewayOf(subnet),
        nameserver: nameserver.address,
        user: instance.user,
        publicKey: instance.publicKey,
        ...(instance.userdata ? { userdata: instance.userdata } : {}),
      },
      { log: farmLog },
    );
  }

  return {
    storageDir,
    errors,
    boot(instance) {
      let pending = nodes.get(instance.id);
      if (!pending) {
        pending = bootOne(instance).catch((error: unknown) => {
          errors.push(error instanceof Error ? error : new Error(String(error)));
        });
        nodes.set(instance.id, pending);
      }
      return pending;
    },
    async destroy(id) {
      const pending = nodes.get(id);
      if (!pending) return;
      nodes.delete(id);
      const removal = (async () => {
        await pending;
        const paths = nodePaths(storageDir, FARM_CLUSTER, id);
        const record = await readNodeRecord(paths);
        if (record) await shutdownNode(paths, record, 5_000);
        await removeNodeDir(paths);
        await releaseAddress(net, `farm-${id}`);
      })();
      destroying.add(removal);
      try {
        await removal;
      } finally {
        destroying.delete(removal);
      }
    },
    ids: () => [...nodes.keys()],
    removed: async () => {
      await Promise.allSettled([...destroying]);
    },
    async teardown() {
      await Promise.allSettled([...nodes.values(), ...destroying]);
      await teardownLocalNodes(storageDir, { bridge: options.bridge, subnet: options.subnet });
    },
  };
}

/** Keeps a farm in step with moto: a node per running instance in `subnetId`, removed once terminated. */
export interface MotoWatcher {
  stop(): Promise<void>;
}

/**
 * Polls moto (DescribeInstances every 300 ms) and boots a node for each running instance of the
 * subnet, authorizing the public key of its EC2 key pair for `user` and running its user data, as an
 * EC2 image with cloud-init does; terminated instances lose their node.
 */
export function watchMoto(
  farm: NodeFarm,
  options: { url: string; subnetId: string; user: string; region?: string },
): MotoWatcher {
  const client = new EC2Client({
    endpoint: options.url,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const keys = new Map<string, string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const out = await client.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'subnet-id', Values: [options.subnetId] }] }),
        );
        // Terminations first: a new instance may have the address of one just terminated.
        const instances = (out.Reservations ?? [])
          .flatMap((r) => r.Instances ?? [])
          .sort((a, b) => Number(a.State?.Name === 'running') - Number(b.State?.Name === 'running'));
        for (const i of instances) {
          const id = i.InstanceId!;
          const state = i.State?.Name;
          if (state === 'running' && !farm.ids().includes(id) && i.PrivateIpAddress && i.KeyName) {
            let key = keys.get(i.KeyName);
            if (!key) {
              const pairs = await client.send(
                new DescribeKeyPairsCommand({ KeyNames: [i.KeyName], IncludePublicKey: true }),
              );
              key = pairs.KeyPairs?.[0]?.PublicKey?.trim();
              if (key) keys.set(i.KeyName, key);
            }
            if (!key) continue;
            void farm.boot({
              id,
              hostname: `ip-${i.PrivateIpAddress.replaceAll('.', '-')}`,
              ip: i.PrivateIpAddress,
              user: options.user,
              publicKey: key,
              userdata: undefined,
            });
          } else if ((state === 'terminated' || state === 'shutting-down') && farm.ids().includes(id)) {
            void farm.destroy(id);
          }
        }
      } catch (error) {
        farm.errors.push(error instanceof Error ? error : new Error(String(error)));
      }
      await sleep(300);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      client.destroy();
    },
  };
}
