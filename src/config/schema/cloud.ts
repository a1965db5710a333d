/** `[cloud/NAME]` schemas, one per provider. */
import type { ProviderName } from '../types.js';
import type { KeySchema, SectionSchema } from './types.js';

const provider: KeySchema = {
  type: 'string',
  description: 'Cloud driver: local, ec2_boto (alias ec2), google (alias gce) or openstack.',
};
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
      ssh_cidr: {
        type: 'string',
        pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$',
        default: '0.0.0.0/0',
        description:
          'Addresses (IPv4 CIDR) allowed to reach port 22 of a security group herd creates, e.g. 203.0.113.0/24.',
        hint: 'write an IPv4 network in CIDR notation, e.g. 203.0.113.0/24 or 0.0.0.0/0',
      },
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
      timeout: { type: 'integer', minimum: 1, description: 'Seconds to wait for a spot request.' },
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
  openstack: {
    type: 'object',
    description: 'OpenStack (Keystone v3); each key falls back to the matching OS_* variable.',
    properties: {
      provider,
      auth_url: { type: 'string', format: 'http-url', env: ['OS_AUTH_URL'], description: 'Keystone URL.' },
      username: { type: 'string', minLength: 1, env: ['OS_USERNAME'], description: 'User name.' },
      password: {
        type: 'string',
        minLength: 1,
        env: ['OS_PASSWORD'],
        secret: true,
        description: 'Password.',
      },
      project_name: {
        type: 'string',
        minLength: 1,
        env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'],
        description: 'Project (tenant) name.',
      },
      user_domain_name: {
        type: 'string',
        env: ['OS_USER_DOMAIN_NAME'],
        default: 'default',
        description: 'User domain.',
      },
      project_domain_name: {
        type: 'string',
        env: ['OS_PROJECT_DOMAIN_NAME'],
        default: 'default',
        description: 'Project domain.',
      },
      region_name: { type: 'string', env: ['OS_REGION_NAME'], description: 'Region.' },
      availability_zone: { type: 'string', env: ['OS_AVAILABILITY_ZONE'], description: 'Availability zone.' },
      compute_api_version: {
        type: 'string',
        env: ['OS_COMPUTE_API_VERSION'],
        description: 'Nova API version.',
      },
      image_api_version: {
        type: 'string',
        env: ['OS_IMAGE_API_VERSION'],
        description: 'Glance API version.',
      },
      network_api_version: {
        type: 'string',
        env: ['OS_NETWORK_API_VERSION'],
        description: 'Neutron API version.',
      },
      volume_api_version: {
        type: 'string',
        env: ['OS_VOLUME_API_VERSION'],
        description: 'Cinder API version.',
      },
      identity_api_version: {
        type: 'string',
        env: ['OS_IDENTITY_API_VERSION'],
        description: 'Keystone API version.',
      },
      request_floating_ip: requestFloatingIp,
    },
    required: ['provider', 'auth_url', 'username', 'password', 'project_name'],
    additionalProperties: false,
  },
};
