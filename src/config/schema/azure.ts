/**
 * Microsoft Azure (`provider=azure`): the keys of ElastiCluster's Azure provider. herd validates
 * them but cannot start nodes on Azure yet.
 */
import { CLOUD_NODE_COMMON } from './common-node-keys.js';
import type { KeySchema, SectionSchema } from './types.js';

const retired = (key: string): KeySchema => ({
  type: 'string',
  description: `Retired ElastiCluster Azure setting (${key}); ignored.`,
  warn: 'is no longer valid in an Azure cloud section (ElastiCluster retired it too) and is ignored; remove it',
});

/** Schema of `[cloud/NAME]` with provider=azure. */
export const AZURE_CLOUD: SectionSchema = {
  type: 'object',
  description: 'Microsoft Azure (herd cannot start nodes on it yet).',
  properties: {
    provider: { type: 'string', description: 'azure' },
    subscription_id: {
      type: 'string',
      minLength: 1,
      env: ['AZURE_SUBSCRIPTION_ID'],
      description: 'Subscription id; default from AZURE_SUBSCRIPTION_ID.',
    },
    tenant_id: {
      type: 'string',
      minLength: 1,
      env: ['AZURE_TENANT_ID'],
      description: 'Tenant id; default from AZURE_TENANT_ID.',
    },
    client_id: {
      type: 'string',
      minLength: 1,
      env: ['AZURE_CLIENT_ID'],
      description: 'Application (client) id; default from AZURE_CLIENT_ID.',
    },
    secret: {
      type: 'string',
      minLength: 1,
      env: ['AZURE_CLIENT_SECRET'],
      description: 'Application key; default from AZURE_CLIENT_SECRET.',
    },
    location: { type: 'string', minLength: 1, default: 'westus', description: 'Datacenter location.' },
    vm_deployment_template: {
      type: 'string',
      minLength: 1,
      description: 'ARM template file used to start a VM.',
    },
    net_deployment_template: {
      type: 'string',
      minLength: 1,
      description: "ARM template file used to create the cluster's network.",
    },
    certificate: retired('certificate'),
    wait_timeout: retired('wait_timeout'),
  },
  required: ['provider'],
  additionalProperties: false,
};

/** Node keys on Azure. */
export const AZURE_NODE_KEYS: Readonly<Record<string, KeySchema>> = {
  ...CLOUD_NODE_COMMON,
  boot_disk_size: { type: 'integer', minimum: 1, description: 'Root disk size in GiB (Azure default 30).' },
  storage_account_type: {
    type: 'string',
    enum: ['Standard_LRS', 'Premium_LRS', 'StandardSSD_LRS', 'UltraSSD_LRS'],
    description: 'Disk type of the VMs (Azure default Standard_LRS).',
  },
};
