/** Cloud-section keys that several providers share, with one wording. */
import type { KeySchema } from './types.js';

/** `provider`: the cloud driver. */
export const PROVIDER_KEY: KeySchema = {
  type: 'string',
  description:
    'Cloud driver: local, ec2_boto (alias ec2), google (alias gce), openstack, azure, libcloud or opennebula.',
};

/** `ssh_cidr`: who may reach port 22 of a security group herd creates. */
export const SSH_CIDR_KEY: KeySchema = {
  type: 'string',
  pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$',
  default: '0.0.0.0/0',
  description:
    'Addresses (IPv4 CIDR) allowed to reach port 22 of a security group herd creates, e.g. 203.0.113.0/24.',
  hint: 'write an IPv4 network in CIDR notation, e.g. 203.0.113.0/24 or 0.0.0.0/0',
};
