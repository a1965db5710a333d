/**
 * Builds the bulkInsert body for one kind in one zone from herd's node settings. InstanceProperties
 * take short names for machine, disk and accelerator types (the API refuses URLs there, as in
 * instance templates); the image, network and subnetwork are paths.
 */
import type { NodeSettings } from '../../config/types.js';
import { ConfigError } from '../../errors.js';
import type { ClusterRef } from '../types.js';
import type {
  GceAttachedDisk,
  GceBulkInsertResource,
  GceInstanceProperties,
  GceNetworkInterface,
} from './api.js';
import { resolveImage } from './image.js';
import { instanceLabels } from './labels.js';
import { regionOf } from './settings.js';

/** Everything the body depends on besides the node settings. */
export interface BodyInput {
  project: string;
  zone: string;
  /** `network` of the cloud section. */
  network: string;
  cluster: ClusterRef;
  kind: string;
  runId: string;
  /** Instance names, one per node. */
  names: readonly string[];
  settings: Readonly<NodeSettings>;
  login: { user: string; publicKey: string };
}

/** The BulkInsertInstanceResource: all-or-nothing (`minCount` = `count`) with exact names. */
export function buildBulkInsert(input: BodyInput): GceBulkInsertResource {
  const count = String(input.names.length);
  return {
    count,
    // All or nothing: GCE rolls a short zone back, so failover to the next zone starts clean.
    minCount: count,
    perInstanceProperties: Object.fromEntries(input.names.map((n) => [n, {}])),
    instanceProperties: buildInstanceProperties(input),
  };
}

/** InstanceProperties common to every node of the batch. */
export function buildInstanceProperties(input: BodyInput): GceInstanceProperties {
  const s = input.settings;
  const where = `kind "${input.kind}"`;
  const flavor = str(s['flavor']);
  const imageId = str(s['image_id']);
  const missing = [!flavor && 'flavor', !imageId && 'image_id'].filter((k): k is string => Boolean(k));
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((key) => ({
        section: `cluster/${input.cluster.name}`,
        key,
        message: `${where}: missing; GCE needs a machine type (flavor, e.g. e2-standard-2) and an image (image_id, e.g. debian-12)`,
      })),
    );
  }
  const props: GceInstanceProperties = {
    machineType: flavor!,
    labels: instanceLabels(input.cluster, input.kind, input.runId),
    disks: disks(s, imageId!, input.project),
    networkInterfaces: networkInterfaces(input),
    metadata: { items: metadata(input) },
  };
  const tags = list(s['tags']);
  if (tags.length > 0) props.tags = { items: tags };
  const accelerators = int(s['accelerator_count']);
  const acceleratorType = str(s['accelerator_type']);
  if (accelerators > 0 && !acceleratorType) {
    throw new ConfigError([
      {
        section: `cluster/${input.cluster.name}`,
        key: 'accelerator_type',
        message: `${where}: accelerator_count=${accelerators} needs accelerator_type, e.g. nvidia-tesla-t4`,
      },
    ]);
  }
  const scheduling = schedulingOf(str(s['scheduling']), accelerators > 0);
  if (scheduling) props.scheduling = scheduling;
  if (accelerators > 0) {
    props.guestAccelerators = [{ acceleratorType: acceleratorType!, acceleratorCount: accelerators }];
  }
  const platform = str(s['min_cpu_platform']);
  if (platform) props.minCpuPlatform = platform;
  return props;
}

function disks(s: Readonly<NodeSettings>, imageId: string, project: string): GceAttachedDisk[] {
  const init: NonNullable<GceAttachedDisk['initializeParams']> = {
    sourceImage: resolveImage(imageId, project),
  };
  const size = int(s['boot_disk_size']);
  if (size > 0) init.diskSizeGb = String(size);
  const type = str(s['boot_disk_type']);
  if (type) init.diskType = type;
  const boot: GceAttachedDisk = { boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: init };
  const scratch: GceAttachedDisk[] = Array.from({ length: int(s['local_ssd_count']) }, () => ({
    type: 'SCRATCH',
    autoDelete: true,
    // The schema allows only NVME and SCSI; ElastiCluster's default was SCSI, herd's is NVME.
    interface: (str(s['local_ssd_interface']) as GceAttachedDisk['interface']) ?? 'NVME',
    initializeParams: { diskType: 'local-ssd' },
  }));
  return [boot, ...scratch];
}

/**
 * One interface per subnetwork: `subnetwork`, else each entry of `network_ids` (names or paths),
 * else the cloud's `network`. A subnetwork implies its network, so `network` is then not sent.
 */
function networkInterfaces(input: BodyInput): GceNetworkInterface[] {
  const s = input.settings;
  const subnetworks = str(s['subnetwork']) ? [str(s['subnetwork'])!] : list(s['network_ids']);
  const nics: GceNetworkInterface[] =
    subnetworks.length > 0
      ? subnetworks.map((sub) => ({ subnetwork: subnetworkPath(sub, input.zone) }))
      : [{ network: networkPath(input.network) }];
  if (s['external_ip'] !== false) {
    nics[0]!.accessConfigs = [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }];
  }
  return nics;
}

/** `default` -> `global/networks/default`; a path or URL stays as is. */
export function networkPath(network: string): string {
  return network.includes('/') ? network : `global/networks/${network}`;
}

/** `sub` -> `regions/<region of zone>/subnetworks/sub`; a path or URL stays as is. */
export function subnetworkPath(subnetwork: string, zone: string): string {
  return subnetwork.includes('/') ? subnetwork : `regions/${regionOf(zone)}/subnetworks/${subnetwork}`;
}

function metadata(input: BodyInput): { key: string; value: string }[] {
  const s = input.settings;
  const items = [
    { key: 'ssh-keys', value: `${input.login.user}:${input.login.publicKey.trim()}` },
    // The exact cluster name, which the label holds only encoded (and shortened when long).
    { key: 'herd-cluster', value: input.cluster.name },
  ];
  if (s['allow_project_ssh_keys'] !== true) items.push({ key: 'block-project-ssh-keys', value: 'TRUE' });
  const userdata = str(s['image_userdata']);
  if (userdata) items.push({ key: 'startup-script', value: userdata });
  return items;
}

/**
 * `scheduling=preemptible|spot`; GPUs cannot live-migrate, so they need `onHostMaintenance=TERMINATE`.
 * Spot VMs are deleted on preemption: a stopped spot node would keep its disk (and its cost) while
 * herd's next `start` replaces missing nodes anyway.
 */
export function schedulingOf(
  mode: string | undefined,
  hasAccelerators: boolean,
): GceInstanceProperties['scheduling'] | undefined {
  if (mode === 'preemptible') {
    return { preemptible: true, automaticRestart: false, onHostMaintenance: 'TERMINATE' };
  }
  if (mode === 'spot') {
    return {
      provisioningModel: 'SPOT',
      instanceTerminationAction: 'DELETE',
      automaticRestart: false,
      onHostMaintenance: 'TERMINATE',
    };
  }
  if (hasAccelerators) return { onHostMaintenance: 'TERMINATE', automaticRestart: true };
  return undefined;
}

function str(value: unknown): string | undefined {
  return value === undefined || value === '' ? undefined : String(value);
}

function int(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function list(value: unknown): string[] {
  return value === undefined
    ? []
    : String(value)
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
}
