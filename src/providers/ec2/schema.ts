/**
 * EC2's config keys: `[cloud/NAME] provider=ec2_boto` (its `provider` key is added by the registry,
 * src/providers/registry.ts) and the node keys of EC2 instances.
 */
import { CLOUD_NODE_COMMON } from '../../config/schema/common-node-keys.js';
import { SSH_CIDR_KEY } from '../../config/schema/shared-keys.js';
import type { KeySchema, SectionSchema } from '../../config/schema/types.js';

const requestFloatingIp: KeySchema = {
  type: 'boolean',
  default: false,
  description: 'Ask for a floating (public) IP when a node gets none.',
};

/** `[cloud/NAME] provider=ec2_boto`. */
export const EC2_CLOUD: SectionSchema = {
  type: 'object',
  description: 'Amazon EC2 or an EC2-compatible endpoint.',
  properties: {
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
  required: ['ec2_region'],
  additionalProperties: false,
};

/** Node keys of EC2 instances. */
export const EC2_NODE_KEYS: Readonly<Record<string, KeySchema>> = {
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
};
