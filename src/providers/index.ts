/**
 * Chooses the provider for a cloud section. Each provider module is imported only when its cloud
 * is used, so `herd --help` and `herd list` never load a cloud SDK.
 */
import { ProviderError } from '../errors.js';
import type { ProviderFactory } from './types.js';

/** Clouds whose config herd already validates but cannot start nodes on yet. */
const PLANNED: Readonly<Record<string, string>> = {
  ec2_boto: 'Amazon EC2',
  google: 'Google Compute Engine',
  openstack: 'OpenStack',
};

/** Builds the provider named by `cloud.provider`. */
export const createProvider: ProviderFactory = async (cloud, context) => {
  switch (cloud.provider) {
    case 'local': {
      const { createLocalProvider } = await import('./local/index.js');
      return createLocalProvider(cloud, context);
    }
    default:
      throw new ProviderError(
        'ProviderNotImplemented',
        `[cloud/${cloud.name}] provider=${cloud.provider} (${PLANNED[cloud.provider] ?? cloud.provider}): this version of herd validates its configuration but cannot start nodes on it yet.`,
        { hint: `Use provider=local for now (a cluster of systemd-nspawn nodes on this host).` },
      );
  }
};
