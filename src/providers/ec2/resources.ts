/**
 * What nodes of a cluster are launched with, looked up or created once per provider and shared by the
 * kinds created in parallel: the key pair, each kind's network (VPC, subnets), security group and the
 * root device name of an AMI. A failed lookup is forgotten, so that the next call retries it.
 */

import type { Logger } from '../../log.js';
import { resourceNameOf } from '../identity.js';
import type { ClusterRef } from '../types.js';
import type { Ec2Api } from './api.js';
import { toProviderError } from './errors.js';
import { ensureKeyPair } from './key-pair.js';
import { defaultVpc, type NetworkPlan, resolveSubnets, resolveVpc } from './network.js';
import { ensureSecurityGroup } from './security-group.js';
import type { Ec2CloudSettings, Ec2KindSettings } from './settings.js';

/** The login part of a create request. */
export interface Login {
  publicKey: string;
  keyName: string | undefined;
}

/** The key pair name: `user_key_name`, else herd's own (see resourceNameOf). */
export function keyNameOf(cluster: ClusterRef, login: Login): string {
  return login.keyName ?? resourceNameOf(cluster);
}

/** Per-provider caches of account resources. */
export class Ec2Resources {
  private readonly keyPairs = new Map<string, Promise<void>>();
  private readonly groups = new Map<string, Promise<string>>();
  private readonly networks = new Map<string, Promise<NetworkPlan>>();
  private readonly rootDevices = new Map<string, Promise<string>>();

  constructor(
    private readonly api: Ec2Api,
    private readonly cloud: Ec2CloudSettings,
    private readonly log: Logger,
  ) {}

  /** Imports (or checks) the cluster's key pair; returns its name. */
  async keyPair(cluster: ClusterRef, login: Login, signal?: AbortSignal): Promise<string> {
    const name = keyNameOf(cluster, login);
    await this.cached(this.keyPairs, name, () =>
      ensureKeyPair(
        this.api,
        {
          name,
          publicKey: login.publicKey,
          ownerCluster: login.keyName ? undefined : cluster,
          origin: login.keyName
            ? 'user_key_name of the login section'
            : `herd's key pair for cluster ${cluster.name}`,
        },
        this.log,
        signal,
      ).catch((error: unknown) => {
        throw toProviderError(error, {
          cloud: this.cloud,
          action: 'ImportKeyPair',
          cluster: cluster.name,
          keyName: name,
        });
      }),
    );
    return name;
  }

  /** The kind's VPC and subnets (network_ids in order; none = the default VPC). */
  network(settings: Ec2KindSettings, template: string, signal?: AbortSignal): Promise<NetworkPlan> {
    return this.cached(this.networks, settings.networkIds.join(','), async () => {
      const vpcId = this.cloud.vpc
        ? await resolveVpc(this.api, this.cloud.vpc, this.cloud.section, signal)
        : undefined;
      if (settings.networkIds.length > 0)
        return resolveSubnets(
          this.api,
          settings.networkIds,
          vpcId,
          // Cached per network_ids, shared by kinds: name the section, not one kind.
          `[cluster/${template}]`,
          signal,
        );
      return { vpcId: vpcId ?? (await defaultVpc(this.api, this.cloud.section, signal)), subnets: [] };
    });
  }

  /** The kind's security group id (`security_group`, else herd's own, see resourceNameOf), created when missing. */
  securityGroup(
    cluster: ClusterRef,
    settings: Ec2KindSettings,
    vpcId: string,
    signal?: AbortSignal,
    template = cluster.name,
  ): Promise<string> {
    const name = settings.securityGroup ?? resourceNameOf(cluster);
    return this.cached(this.groups, `${vpcId}/${name}`, () =>
      ensureSecurityGroup(
        this.api,
        {
          nameOrId: name,
          vpcId,
          cluster,
          sshCidr: this.cloud.sshCidr,
          origin: settings.securityGroup ? `[cluster/${template}]` : `herd's default`,
        },
        this.log,
        signal,
      ),
    );
  }

  /** The AMI's root device name (the device boot_disk_* applies to unless boot_disk_device is set). */
  rootDevice(imageId: string, signal?: AbortSignal): Promise<string> {
    return this.cached(this.rootDevices, imageId, async () => {
      const out = await this.api.describeImages({ ImageIds: [imageId] }, signal);
      const device = out.Images?.[0]?.RootDeviceName;
      if (device) return device;
      throw Object.assign(new Error(`The image id '${imageId}' does not exist`), {
        Code: 'InvalidAMIID.NotFound',
      });
    });
  }

  /** Forgets what `cleanup` deleted. */
  forget(): void {
    this.keyPairs.clear();
    this.groups.clear();
  }

  private cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    let pending = map.get(key);
    if (!pending) {
      pending = load();
      pending.catch(() => map.delete(key));
      map.set(key, pending);
    }
    return pending;
  }
}
