/** `[cloud/NAME]` schemas, one per provider. */
import type { ProviderName } from '../types.js';
import { AZURE_CLOUD } from './azure.js';
import { LIBCLOUD_CLOUD } from './libcloud.js';
import { OPENNEBULA_CLOUD } from './opennebula.js';
import { OPENSTACK_CLOUD_SCHEMA } from './openstack.js';
import { PROVIDER_KEY, SSH_CIDR_KEY } from './shared-keys.js';
import type { KeySchema, SectionSchema } from './types.js';

const provider = PROVIDER_KEY;
const requestFloatingIp: KeySchema = {
  type: 'boolean',
  default: false,
  description: 'Ask for a floating (public) IP when a node gets none.',
};

/** Schemas of `[cloud/NAME]` by provider. */
export const CLOUD_SCHEMAS: Readonly<Record<ProviderName, SectionSchema>> = {
  local: {
    type: 'object',
    description: 'Nodes are systemd-nspawn machines on this host, on a private bridge.',
    properties: {
      provider,
      subnet: {
        type: 'string',
        format: 'private-ipv4-cidr',
        default: '10.77.0.0/24',
        description:
          'IPv4 network of the node bridge (CIDR, prefix /8 to /30) inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.',
        hint: 'write a private IPv4 network (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, RFC 1918) with a prefix from /8 to /30 that no route of this host uses, e.g. 10.77.0.0/24',
      },
      bridge: {
        type: 'string',
        pattern: '^[A-Za-z][A-Za-z0-9_.-]*$',
        maxLength: 15,
        default: 'herdbr0',
        description: 'Name of the host bridge (Linux limit: 15 characters).',
        hint: 'start with a letter, then letters, digits, "-", "_" or "." (at most 15 characters), e.g. herdbr0',
      },
      nat: {
        type: 'boolean',
        default: true,
        description: 'Masquerade node traffic so nodes reach the network.',
      },
    },
    required: ['provider'],
    additionalProperties: false,
  },
  ec2_boto: {
    type: 'object',
    description: 'Amazon EC2 or an EC2-compatible endpoint.',
    properties: {
      provider,
      ec2_url: {
        type: 'string',
        format: 'http-url',
        description: 'EC2 endpoint URL; default: the regional AWS endpoint.',
        hint: 'write a URL such as https://ec2.us-east-1.amazonaws.com',
      },
      ec2_region: { type: 'string', minLength: 1, description: 'Region, e.g. us-east-1.' },
      ec2_access_key: {
        type: 'string',
        minLength: 1,
        secret: true,
        env: ['EC2_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'],
        description: 'Access key id; default from EC2_ACCESS_KEY or AWS_ACCESS_KEY_ID.',
      },
      ec2_secret_key: {
        type: 'string',
        minLength: 1,
        secret: true,
        env: ['EC2_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY'],
        description: 'Secret access key; default from EC2_SECRET_KEY or AWS_SECRET_ACCESS_KEY.',
      },
      profile: {
        type: 'string',
        minLength: 1,
        env: ['AWS_PROFILE'],
        description:
          'Profile of the AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials); default from AWS_PROFILE.',
      },
      request_floating_ip: requestFloatingIp,
      ssh_cidr: SSH_CIDR_KEY,
      vpc: { type: 'string', minLength: 1, description: 'VPC name or id; needs network_ids in the cluster.' },
      instance_profile: { type: 'string', minLength: 1, description: 'IAM instance profile for every node.' },
      price: {
        type: 'number',
        minimum: 0,
        description: 'Maximum spot price in USD per hour; 0 = on-demand.',
      },
      spot: {
        type: 'boolean',
        description: 'Spot instances for every node; without price, capped at the on-demand price.',
      },
      timeout: {
        type: 'integer',
        minimum: 0,
        description: 'Seconds to wait for a spot request; 0 = wait indefinitely.',
      },
    },
    required: ['provider', 'ec2_region'],
    additionalProperties: false,
  },
  google: {
    type: 'object',
    description: 'Google Compute Engine.',
    properties: {
      provider,
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
    required: ['provider', 'gce_project_id'],
    additionalProperties: false,
  },
  openstack: OPENSTACK_CLOUD_SCHEMA,
  azure: AZURE_CLOUD,
  libcloud: LIBCLOUD_CLOUD,
  opennebula: OPENNEBULA_CLOUD,
};
