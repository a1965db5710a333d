/**
 * Chooses the provider for a cloud section. Each provider module is imported only when its cloud
 * is used, so `herd --help` and `herd list` never load a cloud SDK.
 */
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
  }
};
