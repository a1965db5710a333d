/**
 * Chooses the provider for a cloud section from the registry (registry.ts). Each provider module is
 * imported only when its cloud is used, so `herd --help` and `herd list` never load a cloud SDK.
 */
import type { CloudSection } from '../config/types.js';
import { ProviderError } from '../errors.js';
import { cloudRow, STARTABLE_PROVIDERS } from './registry.js';
import type { ProviderFactory } from './types.js';

/** Builds the provider named by `cloud.provider`. */
export const createProvider: ProviderFactory = async (cloud, context) => {
  const load = cloudRow(cloud.provider).load;
  if (!load) throw cannotStart(cloud);
  const create = await load();
  return create(cloud, context);
};

/**
 * Fails with ProviderNotImplemented when herd can read templates of the cloud's provider but cannot
 * start nodes on it (azure, libcloud, opennebula): call it before anything is recorded.
 */
export function assertCanStart(cloud: CloudSection): void {
  if (!cloudRow(cloud.provider).load) throw cannotStart(cloud);
}

function cannotStart(cloud: CloudSection): ProviderError {
  const name = cloudRow(cloud.provider).title;
  return new ProviderError(
    'ProviderNotImplemented',
    `[cloud/${cloud.name}] provider=${cloud.provider}: this provider cannot start nodes yet. herd reads and validates ${name} templates (ElastiCluster files work unchanged), but starting nodes on ${name} is not implemented.`,
    { hint: `Start the template on provider ${STARTABLE_PROVIDERS} instead.` },
  );
}
