/**
 * Node-level keys: set in `[cluster/NAME]` for every kind and overridden per kind in
 * `[cluster/NAME/KIND]`. Which keys exist depends on the cloud provider.
 */
import type { ProviderName } from '../types.js';
import { OPENSTACK_NODE_KEYS } from './openstack.js';
import type { KeySchema } from './types.js';

/** Images the local provider can build (systemd-nspawn machines). */
export const LOCAL_IMAGES = ['debian-12', 'debian-12-hpc'] as const;

const imageId: KeySchema = {
  type: 'string',
  minLength: 1,
  description: 'Image (AMI, GCE image, Glance image) the nodes boot.',
};
const flavor: KeySchema = {
  type: 'string',
  minLength: 1,
  description: 'Instance type / machine type / flavor.',
};
const securityGroup: KeySchema = {
  type: 'string',
  minLength: 1,
  description: 'Security group (firewall rules) of the nodes.',
};
const imageUserdata: KeySchema = {
  type: 'string',
  description: 'Script run as root when the node first boots.',
};
const networkIds: KeySchema = {
  type: 'string',
  description: 'Comma-separated network (subnet) ids the nodes attach to.',
};

const cloudCommon = {
  image_id: imageId,
  flavor,
  security_group: securityGroup,
  image_userdata: imageUserdata,
  network_ids: networkIds,
} as const;

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
      ...imageUserdata,
      description: 'Script run once as root at first boot, before sshd starts.',
    },
  },
  ec2_boto: {
    ...cloudCommon,
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
    timeout: { type: 'integer', minimum: 1, description: 'Seconds to wait for a spot request.' },
    instance_profile: { type: 'string', minLength: 1, description: 'IAM instance profile name.' },
  },
  google: {
    ...cloudCommon,
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
    min_cpu_platform: {
      type: 'string',
      minLength: 1,
      description: 'Minimum CPU platform, e.g. Intel Skylake.',
    },
    allow_project_ssh_keys: { type: 'boolean', description: 'Whether project-wide SSH keys may log in.' },
  },
  openstack: { ...cloudCommon, ...OPENSTACK_NODE_KEYS },
};

/** Providers that need an image and a flavor for every kind (local has defaults). */
export const NEEDS_IMAGE_AND_FLAVOR: readonly ProviderName[] = ['ec2_boto', 'google', 'openstack'];
