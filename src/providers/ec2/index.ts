/** The EC2 provider (`provider=ec2_boto`, alias `ec2`); loaded only when a cluster uses it. */

export type { Ec2Api } from './api.js';
export { createEc2Provider, type Ec2ProviderOptions } from './provider.js';
