/**
 * Google Compute Engine's config keys: `[cloud/NAME] provider=google` (its `provider` key is added by
 * the registry, src/providers/registry.ts) and the node keys of GCE instances.
 */
import { CLOUD_NODE_COMMON } from '../../config/schema/common-node-keys.js';
import type { KeySchema, SectionSchema } from '../../config/schema/types.js';

/** `[cloud/NAME] provider=google`. */
export const GCE_CLOUD: SectionSchema = {
  type: 'object',
  description: 'Google Compute Engine.',
  properties: {
    gce_project_id: { type: 'string', minLength: 1, description: 'Project id.' },
    gce_client_id: {
      type: 'string',
      minLength: 1,
      secret: true,
      description: 'OAuth client id; without it: Application Default Credentials.',
    },
    gce_client_secret: { type: 'string', minLength: 1, secret: true, description: 'OAuth client secret.' },
    gce_api_endpoint: {
      type: 'string',
      format: 'http-url',
      description: 'Compute Engine API endpoint (private endpoints, tests); default: the public API.',
      hint: 'write a URL such as https://compute.googleapis.com',
    },
    network: { type: 'string', minLength: 1, default: 'default', description: 'VPC network name.' },
    zone: {
      type: 'string',
      pattern: '^[a-z0-9-]+(\\s*,\\s*[a-z0-9-]+)*$',
      default: 'us-central1-a',
      description:
        'Zone of the nodes; a comma-separated list is a failover order (the next zone is tried when one has no capacity).',
      hint: 'write zone names separated by commas, e.g. us-central1-a,us-central1-b',
    },
    noauth_local_webserver: {
      type: 'boolean',
      default: false,
      description: 'Authenticate by pasting a code.',
    },
  },
  required: ['gce_project_id'],
  additionalProperties: false,
};

/** Node keys of GCE instances. */
export const GCE_NODE_KEYS: Readonly<Record<string, KeySchema>> = {
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
};
