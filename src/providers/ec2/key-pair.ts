/**
 * The cluster's EC2 key pair: imported from herd's public key when missing, compared when present (a
 * pair of that name holding another key is an error, never a silent mismatch), deleted by `cleanup`
 * only when herd created it (tagged with the cluster).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { ProviderError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ClusterRef } from '../types.js';
import type { Ec2Api } from './api.js';
import { ec2ErrorCode } from './errors.js';
import { clusterNameFilter, clusterTags, isOurs } from './tags.js';

/** The parts of an OpenSSH one-line public key. */
interface SshPublicKey {
  type: string;
  /** The wire-format key blob (base64-decoded second field). */
  blob: Buffer;
}

function parsePublicKey(line: string): SshPublicKey {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data)
    throw new ProviderError('Ec2PublicKeyInvalid', 'The login public key is not in OpenSSH one-line format.');
  return { type, blob: Buffer.from(data, 'base64') };
}

/** Reads the length-prefixed strings of an SSH wire-format blob. */
function wireStrings(blob: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 4 <= blob.length) {
    const len = blob.readUInt32BE(at);
    parts.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return parts;
}

function base64url(bytes: Buffer): string {
  // SSH mpints carry a leading zero byte when the high bit is set; JWK wants the bare magnitude.
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start).toString('base64url');
}

/** DER (SubjectPublicKeyInfo) of an OpenSSH RSA or ed25519 public key. */
function spkiDer(key: SshPublicKey): Buffer | undefined {
  const parts = wireStrings(key.blob);
  if (key.type === 'ssh-rsa' && parts.length >= 3) {
    const jwk = { kty: 'RSA', e: base64url(parts[1]!), n: base64url(parts[2]!) };
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  if (key.type === 'ssh-ed25519' && parts.length >= 2) {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: parts[1]!.toString('base64url') };
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  return undefined;
}

/**
 * The fingerprints EC2 may report for an imported key: AWS gives RSA keys the MD5 of the DER public key
 * and ed25519 keys the SHA-256 of the key blob (base64); other implementations use the MD5 of the blob
 * (RFC 4716) or write SHA-256 in colon hex (moto). Digests are compared as bytes, whatever the notation.
 */
export function keyFingerprints(publicKeyLine: string): Buffer[] {
  const key = parsePublicKey(publicKeyLine);
  const der = spkiDer(key);
  return [
    ...(der ? [createHash('md5').update(der).digest()] : []),
    createHash('md5').update(key.blob).digest(),
    createHash('sha256').update(key.blob).digest(),
  ];
}

/** AWS's own notation for an imported key: RSA = MD5 of DER in colon hex; ed25519 = base64 SHA-256. */
export function awsImportedFingerprint(publicKeyLine: string): string {
  const key = parsePublicKey(publicKeyLine);
  if (key.type === 'ssh-ed25519') return createHash('sha256').update(key.blob).digest('base64');
  const der = spkiDer(key) ?? key.blob;
  return (createHash('md5').update(der).digest('hex').match(/../g) ?? []).join(':');
}

/** Bytes of a fingerprint written as colon hex or (padded or not, `SHA256:` prefixed or not) base64. */
export function fingerprintBytes(text: string): Buffer | undefined {
  const value = text.trim().replace(/^(SHA256|MD5):/i, '');
  if (/^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(value)) return Buffer.from(value.replace(/:/g, ''), 'hex');
  if (/^[0-9a-f]+$/i.test(value) && value.length % 2 === 0 && value.length >= 32)
    return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]+=*$/.test(value)) return Buffer.from(value, 'base64');
  return undefined;
}

/** True when a key pair EC2 describes holds `publicKeyLine` (by public key when given, else fingerprint). */
export function keyPairMatches(
  described: { PublicKey?: string | undefined; KeyFingerprint?: string | undefined },
  publicKeyLine: string,
): boolean {
  const ours = parsePublicKey(publicKeyLine);
  if (described.PublicKey) {
    const theirs = parsePublicKey(described.PublicKey);
    return theirs.blob.equals(ours.blob);
  }
  const bytes = described.KeyFingerprint ? fingerprintBytes(described.KeyFingerprint) : undefined;
  return bytes !== undefined && keyFingerprints(publicKeyLine).some((f) => f.equals(bytes));
}

/** What `ensureKeyPair` needs. */
export interface KeyPairRequest {
  name: string;
  publicKey: string;
  /** Set when herd owns the pair (`herd-<cluster>-<id>`): tagged so that `cleanup` deletes it. */
  ownerCluster: ClusterRef | undefined;
  /** Where the name came from, for the mismatch message. */
  origin: string;
}

/** Imports the key pair when missing; throws when a pair of that name holds another key. */
export async function ensureKeyPair(
  api: Ec2Api,
  request: KeyPairRequest,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const existing = await describeKeyPair(api, request.name, signal);
  if (!existing) {
    try {
      await api.importKeyPair(
        {
          KeyName: request.name,
          PublicKeyMaterial: Buffer.from(request.publicKey.trim()),
          ...(request.ownerCluster
            ? { TagSpecifications: [{ ResourceType: 'key-pair', Tags: clusterTags(request.ownerCluster) }] }
            : {}),
        },
        signal,
      );
      log.debug(`Imported key pair ${request.name}.`);
      return;
    } catch (error) {
      // Another herd process imported it in the meantime: compare what it holds.
      if (ec2ErrorCode(error) !== 'InvalidKeyPair.Duplicate') throw error;
    }
  }
  const pair = existing ?? (await describeKeyPair(api, request.name, signal));
  if (pair && !keyPairMatches(pair, request.publicKey)) {
    throw new ProviderError(
      'Ec2KeyPairMismatch',
      `Key pair "${request.name}" (${request.origin}) exists in EC2 with another key (fingerprint ${pair.KeyFingerprint ?? '?'}; herd's key: ${awsImportedFingerprint(request.publicKey)}).`,
      {
        hint: `Point user_key_private/user_key_public at the key pair's key, choose another user_key_name, or delete the pair if nothing uses it (aws ec2 delete-key-pair --key-name ${request.name}).`,
      },
    );
  }
}

/** The key pair of that name (with its public key when EC2 gives it), if it exists. */
export async function describeKeyPair(api: Ec2Api, name: string, signal?: AbortSignal) {
  try {
    const out = await api.describeKeyPairs({ KeyNames: [name], IncludePublicKey: true }, signal);
    return out.KeyPairs?.[0];
  } catch (error) {
    if (ec2ErrorCode(error) === 'InvalidKeyPair.NotFound') return undefined;
    throw error;
  }
}

/** Deletes the key pairs herd imported for `cluster` (tagged with its name and id); returns their names. */
export async function deleteClusterKeyPairs(api: Ec2Api, cluster: ClusterRef): Promise<string[]> {
  const out = await api.describeKeyPairs({ Filters: [clusterNameFilter(cluster)] });
  const names: string[] = [];
  for (const pair of (out.KeyPairs ?? []).filter((p) => isOurs(p.Tags, cluster))) {
    await api.deleteKeyPair(pair.KeyName ? { KeyName: pair.KeyName } : { KeyPairId: pair.KeyPairId! });
    names.push(pair.KeyName ?? pair.KeyPairId ?? '?');
  }
  return names;
}
