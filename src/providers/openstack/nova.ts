/**
 * The Nova (Compute v2.1) calls herd makes, typed with the fields it reads. The microversion is
 * negotiated once: herd needs 2.52 (tags given at creation, filtering by tag) and asks for 2.67
 * (volume_type of a boot volume) where the cloud has it, below a `compute_api_version=2.N` cap.
 */
import { ProviderError } from '../../errors.js';
import type { OpenStackClient } from './client.js';

/** A server as Nova describes it (`GET /servers/detail`). */
export interface NovaServer {
  id: string;
  name: string;
  status: string;
  metadata?: Record<string, string>;
  tags?: string[];
  addresses?: Record<string, { addr: string; version: number; 'OS-EXT-IPS:type'?: string }[]>;
  flavor?: { id?: string; original_name?: string };
  fault?: { code?: number; message?: string; details?: string };
  key_name?: string | null;
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-STS:vm_state'?: string;
  'OS-EXT-AZ:availability_zone'?: string;
  'os-extended-volumes:volumes_attached'?: { id: string; delete_on_termination?: boolean }[];
}

/** A flavor (`GET /flavors/detail`). */
export interface NovaFlavor {
  id: string;
  name: string;
  vcpus?: number;
  ram?: number;
  disk?: number;
}

/** A key pair (`GET /os-keypairs/{name}`). */
export interface NovaKeyPair {
  name: string;
  public_key: string;
  fingerprint?: string;
}

/** A server group (`GET /os-server-groups`). */
export interface NovaServerGroup {
  id: string;
  name: string;
  policy?: string;
  policies?: string[];
  members?: string[];
}

/** The lowest microversion herd works with, and the one it prefers. */
export const MIN_MICROVERSION = '2.52';
export const WANTED_MICROVERSION = '2.67';

function compare(a: string, b: string): number {
  const [amaj, amin] = a.split('.').map(Number) as [number, number];
  const [bmaj, bmin] = b.split('.').map(Number) as [number, number];
  return amaj - bmaj || amin - bmin;
}

/** The microversion to ask for: the wanted one, lowered to the cloud's maximum and the user's cap. */
export function chooseMicroversion(cloudMax: string | undefined, cap: string | undefined): string {
  let chosen = WANTED_MICROVERSION;
  if (cloudMax && /^\d+\.\d+$/.test(cloudMax) && compare(cloudMax, chosen) < 0) chosen = cloudMax;
  if (cap && compare(cap, chosen) < 0) chosen = cap;
  return chosen;
}

/** True when microversion `have` is at least `need`. */
export function atLeast(have: string, need: string): boolean {
  return compare(have, need) >= 0;
}

/** Nova, with the negotiated microversion on every request. */
export class Nova {
  private versionPromise: Promise<string> | undefined;

  constructor(
    private readonly client: OpenStackClient,
    private readonly section: string,
    private readonly cap: string | undefined,
  ) {}

  /** The microversion herd uses with this cloud (one discovery call, then cached). */
  microversion(signal?: AbortSignal): Promise<string> {
    this.versionPromise ??= (async () => {
      const { body } = await this.client.call<{ version?: { version?: string } }>('compute', 'GET', '/', {
        signal,
      });
      const max = body?.version?.version || undefined;
      const chosen = chooseMicroversion(max, this.cap);
      if (!atLeast(chosen, MIN_MICROVERSION)) {
        throw new ProviderError(
          'OpenStackComputeTooOld',
          `Nova offers API microversions up to ${max ?? '2.1'}${this.cap ? ` (and compute_api_version caps them at ${this.cap})` : ''}; herd needs ${MIN_MICROVERSION} (OpenStack Queens, 2018) to tag servers.`,
          {
            hint: this.cap
              ? `Remove compute_api_version from [${this.section}] or set it to ${MIN_MICROVERSION} or higher.`
              : 'Ask the cloud operators which compute API microversions they offer; herd cannot find its servers by tag without 2.52.',
          },
        );
      }
      return chosen;
    })();
    this.versionPromise.catch(() => {
      this.versionPromise = undefined;
    });
    return this.versionPromise;
  }

  /** Calls Nova with the microversion headers. */
  async call<T>(
    method: string,
    path: string,
    options: Parameters<OpenStackClient['call']>[3] = {},
  ): Promise<T> {
    const version = await this.microversion(options.signal);
    const { body } = await this.client.call<T>('compute', method, path, {
      ...options,
      headers: {
        'x-openstack-nova-api-version': version,
        'openstack-api-version': `compute ${version}`,
        ...options.headers,
      },
    });
    return body;
  }

  /** Every server carrying `tag` (all pages). */
  async serversTagged(tag: string, signal?: AbortSignal): Promise<NovaServer[]> {
    const version = await this.microversion(signal);
    return this.client.listAll<NovaServer>('compute', '/servers/detail', 'servers', {
      query: { tags: tag },
      headers: { 'x-openstack-nova-api-version': version, 'openstack-api-version': `compute ${version}` },
      signal,
    });
  }

  /** Every flavor the project may use. */
  async flavors(signal?: AbortSignal): Promise<NovaFlavor[]> {
    const version = await this.microversion(signal);
    return this.client.listAll<NovaFlavor>('compute', '/flavors/detail', 'flavors', {
      headers: { 'x-openstack-nova-api-version': version, 'openstack-api-version': `compute ${version}` },
      signal,
    });
  }
}
