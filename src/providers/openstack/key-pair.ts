/**
 * The cluster's Nova key pair: imported from herd's public key when missing, compared when present (a
 * pair of that name holding another key is an error, never a silent mismatch). Key pairs carry no
 * tags: herd deletes at stop only the pair it names itself (`herd-<cluster>`), never `user_key_name`.
 */
import { createHash } from 'node:crypto';
import { ProviderError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { OpenStackApiError } from './api-error.js';
import type { Nova, NovaKeyPair } from './nova.js';

function blobOf(line: string): Buffer | undefined {
  const data = line.trim().split(/\s+/)[1];
  return data ? Buffer.from(data, 'base64') : undefined;
}

/** Nova's fingerprint of an OpenSSH public key: MD5 of the key blob, colon hex. */
export function novaFingerprint(publicKeyLine: string): string {
  const blob = blobOf(publicKeyLine) ?? Buffer.alloc(0);
  return (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');
}

/** True when the pair Nova holds is `publicKeyLine` (by key, else by fingerprint). */
export function keyPairHolds(
  pair: Pick<NovaKeyPair, 'public_key' | 'fingerprint'>,
  publicKeyLine: string,
): boolean {
  const ours = blobOf(publicKeyLine);
  const theirs = pair.public_key ? blobOf(pair.public_key) : undefined;
  if (ours && theirs) return ours.equals(theirs);
  return pair.fingerprint === novaFingerprint(publicKeyLine);
}

async function getKeyPair(nova: Nova, name: string, signal?: AbortSignal): Promise<NovaKeyPair | undefined> {
  try {
    const body = await nova.call<{ keypair: NovaKeyPair }>(
      'GET',
      `/os-keypairs/${encodeURIComponent(name)}`,
      { signal },
    );
    return body.keypair;
  } catch (error) {
    if (error instanceof OpenStackApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** Imports the pair when missing; throws OpenStackKeyPairMismatch when the name holds another key. */
export async function ensureKeyPair(
  nova: Nova,
  request: { name: string; publicKey: string; origin: string },
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  let pair = await getKeyPair(nova, request.name, signal);
  if (!pair) {
    try {
      await nova.call('POST', '/os-keypairs', {
        body: { keypair: { name: request.name, public_key: request.publicKey.trim(), type: 'ssh' } },
        retryConflict: false,
        signal,
      });
      log.debug(`Imported key pair ${request.name}.`);
      return;
    } catch (error) {
      // Imported meanwhile by a parallel kind or another herd process: compare what it holds.
      if (!(error instanceof OpenStackApiError && error.status === 409)) throw error;
      pair = await getKeyPair(nova, request.name, signal);
    }
  }
  if (pair && !keyPairHolds(pair, request.publicKey)) {
    throw new ProviderError(
      'OpenStackKeyPairMismatch',
      `Key pair "${request.name}" (${request.origin}) exists in Nova with another key (fingerprint ${pair.fingerprint ?? '?'}; herd's key: ${novaFingerprint(request.publicKey)}).`,
      {
        hint: `Point user_key_private/user_key_public at that pair's key, choose another user_key_name, or delete the pair if nothing uses it (openstack keypair delete ${request.name}).`,
      },
    );
  }
}

/** Deletes a key pair; true when it existed. */
export async function deleteKeyPair(nova: Nova, name: string): Promise<boolean> {
  try {
    await nova.call('DELETE', `/os-keypairs/${encodeURIComponent(name)}`);
    return true;
  } catch (error) {
    if (error instanceof OpenStackApiError && error.status === 404) return false;
    throw error;
  }
}
