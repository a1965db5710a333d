/**
 * Creating the servers of one kind: one POST /servers per node (Nova's multiple-create would rename
 * them), at most `concurrency` at a time, each with herd's node name, metadata and tags. Then one
 * shared list per round until Nova has placed every server. A server Nova could not place ("No valid
 * host", an exhausted network) is deleted and created again in the next placement: the next group of
 * an anti-affinity kind, then the next availability zone or network alternative. The caller records
 * what was created; everything carries the cluster's identity, so a crash loses nothing.
 */
import { AbortError, HerdError, ProviderError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { eachLimited } from '../../util/each-limited.js';
import type { ClusterRef, NodeSpec } from '../types.js';
import { OpenStackApiError } from './api-error.js';
import { type ErrorContext, isCapacityMessage, toProviderError } from './errors.js';
import { clusterTags, serverMetadata } from './identity.js';
import type { NeutronNetwork } from './lookup.js';
import type { Nova, NovaServer } from './nova.js';
import { isScheduled } from './status.js';
import type { ServerWatch } from './watch.js';

/** Metadata key naming the external network a server's floating IP comes from. */
export const META_FLOATING_NETWORK = 'herd_floating_network';

/** Where a batch is tried: an availability zone (undefined = Nova's choice) and the networks to attach. */
export interface Placement {
  zone: string | undefined;
  networks: readonly NeutronNetwork[];
}

/** Everything the servers of one kind are created with. */
export interface LaunchPlan {
  cluster: ClusterRef;
  kind: string;
  runId: string;
  nodes: readonly NodeSpec[];
  imageId: string;
  flavorId: string;
  keyName: string;
  securityGroupIds: readonly string[];
  userdata: string | undefined;
  bootDisk: { sizeGiB: number; type: string | undefined } | undefined;
  floatingNetworkId: string | undefined;
  placements: readonly Placement[];
  /** Anti-affinity: group `index` of the kind, created on demand (`fresh` = it had no members). */
  serverGroup: ((index: number) => Promise<{ id: string; fresh: boolean }>) | undefined;
  /** Index of the group to start with (the kind's last group, or 1). */
  firstGroupIndex: number;
}

/** Outcome of a launch. */
export interface LaunchResult {
  created: { node: NodeSpec; server: NovaServer }[];
  failed: { node: NodeSpec; error: Error }[];
}

/** What the launch needs around it. */
export interface LaunchDeps {
  nova: Nova;
  watch: ServerWatch;
  log: Logger;
  concurrency: number;
  buildTimeoutMs: number;
  errorContext: ErrorContext;
  signal?: AbortSignal | undefined;
}

/** Nova's limit on user data (base64). */
const MAX_USER_DATA = 65_535;

/** The body of POST /servers for one node. */
export function serverBody(
  plan: LaunchPlan,
  node: NodeSpec,
  placement: Placement,
  group: string | undefined,
): unknown {
  const userData = plan.userdata === undefined ? undefined : Buffer.from(plan.userdata).toString('base64');
  return {
    server: {
      name: node.cloudName,
      flavorRef: plan.flavorId,
      ...(plan.bootDisk ? {} : { imageRef: plan.imageId }),
      key_name: plan.keyName,
      networks: placement.networks.map((n) => ({ uuid: n.id })),
      security_groups: plan.securityGroupIds.map((id) => ({ name: id })),
      metadata: {
        ...serverMetadata(plan.cluster, { kind: plan.kind, name: node.name, runId: plan.runId }),
        ...(plan.floatingNetworkId ? { [META_FLOATING_NETWORK]: plan.floatingNetworkId } : {}),
      },
      tags: clusterTags(plan.cluster),
      ...(placement.zone ? { availability_zone: placement.zone } : {}),
      ...(userData ? { user_data: userData } : {}),
      ...(plan.bootDisk
        ? {
            block_device_mapping_v2: [
              {
                boot_index: 0,
                uuid: plan.imageId,
                source_type: 'image',
                destination_type: 'volume',
                volume_size: plan.bootDisk.sizeGiB,
                delete_on_termination: true,
                ...(plan.bootDisk.type ? { volume_type: plan.bootDisk.type } : {}),
              },
            ],
          }
        : {}),
    },
    ...(group ? { 'os:scheduler_hints': { group } } : {}),
  };
}

/** Describes a placement for messages: `zone az1, network private`. */
export function describePlacement(p: Placement): string {
  const nets = p.networks.map((n) => n.name || n.id).join('+');
  return (
    [p.zone ? `zone ${p.zone}` : undefined, nets ? `network ${nets}` : undefined]
      .filter(Boolean)
      .join(', ') || 'the default placement'
  );
}

/** Creates the servers of `plan`, failing over as described in the module comment. */
export async function launchServers(plan: LaunchPlan, deps: LaunchDeps): Promise<LaunchResult> {
  if (
    plan.userdata !== undefined &&
    Buffer.byteLength(Buffer.from(plan.userdata).toString('base64')) > MAX_USER_DATA
  ) {
    const error = new ProviderError(
      'OpenStackUserDataTooLarge',
      `image_userdata of kind ${plan.kind} is ${Buffer.byteLength(plan.userdata)} bytes; Nova takes at most ${MAX_USER_DATA} bytes once base64-encoded (about 48 KiB).`,
      { hint: 'Shorten image_userdata, e.g. let it download a larger script.' },
    );
    return { created: [], failed: plan.nodes.map((node) => ({ node, error })) };
  }
  const result: LaunchResult = { created: [], failed: [] };
  const tried: string[] = [];
  let remaining = [...plan.nodes];
  let groupIndex = plan.firstGroupIndex;
  for (let p = 0; p < plan.placements.length && remaining.length > 0; ) {
    if (deps.signal?.aborted) throw new AbortError(`Not creating ${plan.kind} nodes: interrupted.`);
    const placement = plan.placements[p]!;
    const group = plan.serverGroup ? await plan.serverGroup(groupIndex) : undefined;
    const round = await launchRound(plan, deps, remaining, placement, group?.id);
    result.created.push(...round.created);
    result.failed.push(...round.failed);
    if (round.noRoom.length === 0) return result;
    const fault = round.noRoom[0]!.fault;
    remaining = round.noRoom.map((r) => r.node);
    // A full group: the next servers start a new one (a fresh group without room means no host at all).
    if (group && (round.created.length > 0 || !group.fresh)) {
      groupIndex++;
      deps.log.debug(
        `Server group ${groupIndex - 1} of ${plan.kind} is full (${fault}); continuing in group ${groupIndex}.`,
      );
      continue;
    }
    tried.push(`${describePlacement(placement)} (${fault})`);
    const next = plan.placements[p + 1];
    deps.log.warn(
      `${describePlacement(placement)} has no room for ${remaining.length} ${plan.kind} server(s) now (${fault})${next ? `; trying ${describePlacement(next)}` : ''}.`,
    );
    p++;
  }
  if (remaining.length > 0) {
    const error = new ProviderError(
      'OpenStackNoCapacity',
      `No placement could take ${remaining.length} ${plan.kind} server(s); tried ${tried.join('; ')}.`,
      {
        hint: `List more zones in availability_zone (comma-separated, tried in order) or alternative networks in network_ids (separated by "|") in [${deps.errorContext.section}] or [cluster/${deps.errorContext.template ?? 'NAME'}], choose a smaller flavor${plan.serverGroup ? ', or turn off use_anti_affinity_groups' : ''}.`,
      },
    );
    for (const node of remaining) result.failed.push({ node, error });
  }
  return result;
}

interface Round {
  created: { node: NodeSpec; server: NovaServer }[];
  failed: { node: NodeSpec; error: Error }[];
  /** Nodes whose server found no room here, with the fault. */
  noRoom: { node: NodeSpec; fault: string }[];
}

async function launchRound(
  plan: LaunchPlan,
  deps: LaunchDeps,
  nodes: readonly NodeSpec[],
  placement: Placement,
  group: string | undefined,
): Promise<Round> {
  const round: Round = { created: [], failed: [], noRoom: [] };
  const posted = await postServers(plan, deps, nodes, placement, group, round);
  if (deps.signal?.aborted) throw new AbortError(`Not creating ${plan.kind} nodes: interrupted.`);
  const view = await deps.watch.until(
    posted.map((p) => p.id),
    isScheduled,
    Date.now() + deps.buildTimeoutMs,
    deps.signal,
  );
  const doomed: string[] = [];
  for (const { node, id } of posted) {
    const server = view.get(id);
    if (server && server.status !== 'ERROR' && isScheduled(server)) {
      round.created.push({ node, server });
      continue;
    }
    if (server) doomed.push(id);
    const fault = server?.status === 'ERROR' ? (server.fault?.message ?? 'no fault reported') : undefined;
    if (fault !== undefined && isCapacityMessage(fault)) round.noRoom.push({ node, fault });
    else round.failed.push({ node, error: unplacedError(node, id, server, deps) });
  }
  // Servers that will never run are deleted now; a node that fails over gets a new server.
  await eachLimited(doomed, deps.concurrency, async (id) => {
    try {
      await deps.nova.call('DELETE', `/servers/${id}`);
    } catch (error) {
      if (!(error instanceof OpenStackApiError && error.status === 404))
        deps.log.warn(`Could not delete failed server ${id}: ${String(error)}; "herd stop" removes it.`);
    }
  });
  return round;
}

/** POSTs one server per node; a refusal for lack of room goes to `round.noRoom`, any other to `round.failed`. */
async function postServers(
  plan: LaunchPlan,
  deps: LaunchDeps,
  nodes: readonly NodeSpec[],
  placement: Placement,
  group: string | undefined,
  round: Round,
): Promise<{ node: NodeSpec; id: string }[]> {
  const posted: { node: NodeSpec; id: string }[] = [];
  await eachLimited(nodes, deps.concurrency, async (node) => {
    if (deps.signal?.aborted) return;
    try {
      const body = await deps.nova.call<{ server: { id: string } }>('POST', '/servers', {
        body: serverBody(plan, node, placement, group),
        signal: deps.signal,
      });
      posted.push({ node, id: body.server.id });
    } catch (error) {
      if (deps.signal?.aborted) return;
      if (error instanceof OpenStackApiError && isCapacityMessage(error.message)) {
        round.noRoom.push({ node, fault: error.message });
        return;
      }
      round.failed.push({ node, error: asError(error, deps.errorContext) });
    }
  });
  return posted;
}

/** Why a posted server was not placed: gone from Nova's list, in ERROR (not for lack of room), or still waiting at build_timeout. */
function unplacedError(node: NodeSpec, id: string, server: NovaServer | undefined, deps: LaunchDeps): Error {
  if (!server) {
    return new ProviderError(
      'OpenStackServerMissing',
      `Nova accepted server ${node.cloudName} (${id}) but no longer lists it.`,
    );
  }
  if (server.status === 'ERROR') {
    return toProviderError(
      new OpenStackApiError(
        server.fault?.code ?? 500,
        `server ${node.cloudName} (${id})`,
        'fault',
        server.fault?.message ?? 'no fault reported',
        undefined,
      ),
      deps.errorContext,
    );
  }
  return new ProviderError(
    'OpenStackBuildTimeout',
    `Nova did not place server ${node.cloudName} (${id}) on a host within build_timeout (${Math.round(deps.buildTimeoutMs / 1000)} s).`,
    {
      hint: `Raise build_timeout in [${deps.errorContext.section}], or ask the cloud operators why scheduling is slow.`,
    },
  );
}

function asError(error: unknown, ctx: ErrorContext): Error {
  return error instanceof HerdError ? error : toProviderError(error, ctx);
}
