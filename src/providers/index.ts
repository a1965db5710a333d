/**
 * Chooses the provider for a cloud section. Each provider module is imported only when its cloud
 * is used, so `herd --help` and `herd list` never load a cloud SDK.
 */
import { ProviderError } from '../errors.js';
import type { ProviderFactory } from './types.js';

/** Which issue brings each provider that is not written yet. */
const PLANNED: Readonly<Record<string, string>> = {
  ec2_boto: 'issue 4 (EC2)',
  google: 'issue 5 (Google Compute Engine)',
  openstack: 'a later issue (OpenStack)',
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
        `[cloud/${cloud.name}] provider=${cloud.provider} is not implemented yet; it comes with ${PLANNED[cloud.provider] ?? 'a later issue'}.`,
        { hint: `Use provider=local for now (a cluster of systemd-nspawn nodes on this host).` },
      );
  }
};
