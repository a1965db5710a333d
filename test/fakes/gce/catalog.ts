/**
 * What exists in the fake project besides instances: zones, machine types, public images, disk and
 * accelerator types, CPU platforms, networks. A small but real subset of Compute Engine's catalog.
 */

/** Zones the fake serves (a request to another zone is refused like an unknown zone). */
export const ZONES = [
  'us-central1-a',
  'us-central1-b',
  'us-central1-c',
  'us-central1-f',
  'us-east1-b',
  'us-east1-c',
  'us-east1-d',
  'europe-west1-b',
  'europe-west1-c',
  'europe-west1-d',
  'europe-west4-a',
  'europe-west4-b',
  'asia-east1-a',
] as const;

/** Region of a zone. */
export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

const SHAPES: Readonly<Record<string, readonly (string | number)[]>> = {
  e2: [
    'micro',
    'small',
    'medium',
    'standard-2',
    'standard-4',
    'standard-8',
    'standard-16',
    'standard-32',
    'highmem-2',
    'highmem-4',
    'highcpu-2',
    'highcpu-4',
    'highcpu-8',
  ],
  n1: [
    'standard-1',
    'standard-2',
    'standard-4',
    'standard-8',
    'standard-16',
    'standard-32',
    'standard-64',
    'highmem-2',
    'highcpu-4',
  ],
  n2: ['standard-2', 'standard-4', 'standard-8', 'standard-16', 'standard-32', 'highmem-2', 'highcpu-2'],
  n2d: ['standard-2', 'standard-4', 'standard-8', 'standard-16'],
  c2: ['standard-4', 'standard-8', 'standard-16', 'standard-30', 'standard-60'],
  g2: ['standard-4', 'standard-8', 'standard-12', 'standard-16'],
};

/** Machine types of every fake zone. */
export const MACHINE_TYPES: ReadonlySet<string> = new Set(
  Object.entries(SHAPES).flatMap(([family, shapes]) => shapes.map((s) => `${family}-${s}`)),
);

/** True when `name` is a machine type (including custom shapes such as `n2-custom-4-8192`). */
export function isMachineType(name: string): boolean {
  return MACHINE_TYPES.has(name) || /^((n1|n2|n2d|e2)-)?custom-\d+-\d+(-ext)?$/.test(name);
}

/** vCPUs and memory of a machine type, for machineTypes.get. */
export function machineShape(name: string): { guestCpus: number; memoryMb: number } {
  const custom = /custom-(\d+)-(\d+)/.exec(name);
  if (custom) return { guestCpus: Number(custom[1]), memoryMb: Number(custom[2]) };
  const cpus = Number(/-(\d+)$/.exec(name)?.[1] ?? 2);
  const perCpu = name.includes('highmem') ? 8192 : name.includes('highcpu') ? 1024 : 4096;
  return {
    guestCpus: cpus,
    memoryMb: name.endsWith('micro') ? 1024 : name.endsWith('small') ? 2048 : cpus * perCpu,
  };
}

/** A public image family with its current image. */
export interface CatalogImage {
  project: string;
  family: string;
  name: string;
  diskSizeGb: number;
}

/** Public image families (with the current image of each). */
export const PUBLIC_IMAGES: readonly CatalogImage[] = [
  { project: 'debian-cloud', family: 'debian-11', name: 'debian-11-bullseye-v20240110', diskSizeGb: 10 },
  { project: 'debian-cloud', family: 'debian-12', name: 'debian-12-bookworm-v20240110', diskSizeGb: 10 },
  { project: 'debian-cloud', family: 'debian-13', name: 'debian-13-trixie-v20250915', diskSizeGb: 10 },
  {
    project: 'ubuntu-os-cloud',
    family: 'ubuntu-2204-lts',
    name: 'ubuntu-2204-jammy-v20240112',
    diskSizeGb: 10,
  },
  {
    project: 'ubuntu-os-cloud',
    family: 'ubuntu-2404-lts-amd64',
    name: 'ubuntu-2404-noble-amd64-v20240701',
    diskSizeGb: 10,
  },
  { project: 'rocky-linux-cloud', family: 'rocky-linux-9', name: 'rocky-linux-9-v20240111', diskSizeGb: 20 },
  { project: 'centos-cloud', family: 'centos-stream-9', name: 'centos-stream-9-v20240109', diskSizeGb: 20 },
  { project: 'rhel-cloud', family: 'rhel-9', name: 'rhel-9-v20240110', diskSizeGb: 20 },
  { project: 'almalinux-cloud', family: 'almalinux-9', name: 'almalinux-9-v20240110', diskSizeGb: 20 },
];

/** Persistent and local disk types. */
export const DISK_TYPES: ReadonlySet<string> = new Set([
  'pd-standard',
  'pd-balanced',
  'pd-ssd',
  'pd-extreme',
  'hyperdisk-balanced',
  'hyperdisk-throughput',
  'local-ssd',
]);

/** GPU types. */
export const ACCELERATOR_TYPES: ReadonlySet<string> = new Set([
  'nvidia-tesla-t4',
  'nvidia-tesla-p4',
  'nvidia-tesla-p100',
  'nvidia-tesla-v100',
  'nvidia-l4',
  'nvidia-tesla-a100',
  'nvidia-a100-80gb',
]);

/** Friendly names accepted by minCpuPlatform. */
export const CPU_PLATFORMS: ReadonlySet<string> = new Set([
  'Automatic',
  'Intel Sandy Bridge',
  'Intel Ivy Bridge',
  'Intel Haswell',
  'Intel Broadwell',
  'Intel Skylake',
  'Intel Cascade Lake',
  'Intel Ice Lake',
  'Intel Sapphire Rapids',
  'AMD Rome',
  'AMD Milan',
  'AMD Genoa',
]);
