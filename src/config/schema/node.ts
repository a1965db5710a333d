/**
 * Node-level keys: set in `[cluster/NAME]` for every kind and overridden per kind in
 * `[cluster/NAME/KIND]`. Which keys exist depends on the cloud provider.
 */
import type { ProviderName } from '../types.js';
import { AZURE_NODE_KEYS } from './azure.js';
import { CLOUD_NODE_COMMON } from './common-node-keys.js';
import { LIBCLOUD_NODE_KEYS } from './libcloud.js';
import { OPENNEBULA_NODE_KEYS } from './opennebula.js';
import { OPENSTACK_NODE_KEYS } from './openstack.js';
import { type KeySchema, PROVIDERS } from './types.js';

/** Images the local provider can build (systemd-nspawn machines). */
export const LOCAL_IMAGES = ['debian-12', 'debian-12-hpc'] as const;

/** Node keys per provider. Defaults here apply at cluster level only (see clusterSchema). */
export const NODE_KEYS: Readonly<Record<ProviderName, Readonly<Record<string, KeySchema>>>> = {
  local: {
    image_id: {
      type: 'string',
      enum: LOCAL_IMAGES,
      default: 'debian-12',
      description:
        'Local node image: debian-12 (base) or debian-12-hpc (Slurm and NFS packages preinstalled).',
    },
    flavor: {
      type: 'string',
      description: 'Accepted for compatibility and ignored: local nodes share the host.',
    },
    security_group: {
      type: 'string',
      description: 'Accepted for compatibility and ignored: local nodes have no firewall.',
    },
    image_userdata: {
      ...CLOUD_NODE_COMMON['image_userdata']!,
      description: 'Script run once as root at first boot, before sshd starts.',
    },
  },
  ec2_boto: {
    ...CLOUD_NODE_COMMON,
    boot_disk_device: { type: 'string', pattern: '^/dev/', description: 'Root device name, e.g. /dev/sda1.' },
    boot_disk_size: { type: 'integer', minimum: 1, description: 'Root disk size in GiB.' },
    boot_disk_type: {
      type: 'string',
      enum: ['standard', 'gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1'],
      description: 'EBS volume type of the root disk.',
    },
    boot_disk_iops: { type: 'integer', minimum: 1, description: 'Provisioned IOPS (io1/io2/gp3).' },
    placement_group: { type: 'string', minLength: 1, description: 'EC2 placement group.' },
    price: { type: 'number', minimum: 0, description: 'Maximum spot price in USD per hour; 0 = on-demand.' },
    spot: {
      type: 'boolean',
      description: 'Spot instances for this kind; without price, capped at the on-demand price.',
    },
    timeout: {
      type: 'integer',
      minimum: 0,
      description: 'Seconds to wait for a spot request; 0 = wait indefinitely.',
    },
    instance_profile: { type: 'string', minLength: 1, description: 'IAM instance profile name.' },
  },
  google: {
    ...CLOUD_NODE_COMMON,
    boot_disk_type: {
      type: 'string',
      enum: ['pd-standard', 'pd-balanced', 'pd-ssd'],
      description: 'Persistent disk type of the boot disk.',
    },
    boot_disk_size: { type: 'integer', minimum: 10, description: 'Boot disk size in GB.' },
    tags: { type: 'string', description: 'Comma-separated network tags.' },
    scheduling: {
      type: 'string',
      enum: ['preemptible', 'spot'],
      description: 'preemptible (preemptible VMs) or spot (Spot VMs).',
    },
    external_ip: {
      type: 'boolean',
      description: 'Whether nodes get an external (public) IP; default yes.',
    },
    subnetwork: {
      type: 'string',
      minLength: 1,
      description: 'Subnetwork of the VPC network the nodes attach to.',
    },
    accelerator_count: { type: 'integer', minimum: 0, description: 'Number of GPUs per node.' },
    accelerator_type: { type: 'string', minLength: 1, description: 'GPU type, e.g. nvidia-tesla-t4.' },
    local_ssd_count: { type: 'integer', minimum: 0, description: 'Number of local SSDs per node.' },
    local_ssd_interface: {
      type: 'string',
      enum: ['NVME', 'SCSI'],
      description: 'Bus the local SSDs are attached to: NVME (herd default) or SCSI.',
    },
    min_cpu_platform: {
      type: 'string',
      minLength: 1,
      description: 'Minimum CPU platform, e.g. Intel Skylake.',
    },
    allow_project_ssh_keys: { type: 'boolean', description: 'Whether project-wide SSH keys may log in.' },
  },
  openstack: { ...CLOUD_NODE_COMMON, ...OPENSTACK_NODE_KEYS },
  azure: AZURE_NODE_KEYS,
  libcloud: LIBCLOUD_NODE_KEYS,
  opennebula: OPENNEBULA_NODE_KEYS,
};

/** Providers that need an image and a flavor for every kind: all but local, which has defaults. */
export const NEEDS_IMAGE_AND_FLAVOR: readonly ProviderName[] = PROVIDERS.filter((p) => p !== 'local');
