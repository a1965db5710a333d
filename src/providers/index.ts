/**
 * Chooses the provider for a cloud section. Each provider module is imported only when its cloud
 * is used, so `herd --help` and `herd list` never load a cloud SDK.
 */
import { PROVIDERS_WITHOUT_NODES } from '../config/schema/types.js';
import type { CloudSection } from '../config/types.js';
import { ProviderError } from '../errors.js';
import type { ProviderFactory } from './types.js';

/** Builds the provider named by `cloud.provider`. */
export const createProvider: ProviderFactory = async (cloud, context) => {
  switch (cloud.provider) {
    case 'local': {
      const { createLocalProvider } = await import('./local/index.js');
      return createLocalProvider(cloud, context);
    }
    case 'ec2_boto': {
      const { createEc2Provider } = await import('./ec2/index.js');
      return createEc2Provider(cloud, context);
    }
    case 'google': {
      const { createGceProvider } = await import('./gce/index.js');
      return createGceProvider(cloud, context);
    }
    case 'openstack': {
      const { createOpenStackProvider } = await import('./openstack/index.js');
      return createOpenStackProvider(cloud, context);
    }
    default:
      throw cannotStart(cloud);
  }
};

/**
 * Fails with ProviderNotImplemented when herd can read templates of the cloud's provider but cannot
 * start nodes on it (azure, libcloud, opennebula): call it before anything is recorded.
 */
export function assertCanStart(cloud: CloudSection): void {
  if (Object.hasOwn(PROVIDERS_WITHOUT_NODES, cloud.provider)) throw cannotStart(cloud);
}

function cannotStart(cloud: CloudSection): ProviderError {
  const name = PROVIDERS_WITHOUT_NODES[cloud.provider] ?? cloud.provider;
  return new ProviderError(
    'ProviderNotImplemented',
    `[cloud/${cloud.name}] provider=${cloud.provider}: this provider cannot start nodes yet. herd reads and validates ${name} templates (ElastiCluster files work unchanged), but starting nodes on ${name} is not implemented.`,
    { hint: 'Start the template on provider local, ec2_boto, google or openstack instead.' },
  );
}
