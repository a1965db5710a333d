/**
 * `start --dry-run` and `resize --dry-run`: what a start or resize would create, remove and
 * configure, checked against the cloud with read-only calls (the provider's optional `preflight`).
 * Nothing is written: no state, no key pair, no lock, no cloud resource.
 */
import { access, readFile } from 'node:fs/promises';
import type { NodeCount } from '../config/node-counts.js';
import type { CloudSection, Template } from '../config/types.js';
import { UsageError } from '../errors.js';
import type {
  ClusterRef,
  PlannedResource,
  PreflightCheck,
  PreflightKind,
  Provider,
} from '../providers/types.js';
import { allocateNodeNames, newClusterId, validateClusterName } from '../state/index.js';
import type { NodeRecord } from '../state/types.js';
import type { ClusterDeps } from './deps.js';
import { clusterRef, isLive } from './records.js';
import { isSlurmWorker, pickVictims } from './resize.js';
import { templateForStart } from './template.js';

/** Nodes of one kind that would be created, and how. */
export interface KindCreatePlan {
  kind: string;
  count: number;
  names: string[];
  image: string;
  flavor: string | undefined;
  placement: string | undefined;
  securityGroups: readonly string[];
}

/** A node that would be removed. */
export interface NodeRemovePlan {
  name: string;
  kind: string;
  instanceId: string | null;
  /** Why: `-r/--remove`, or a node that failed earlier and is replaced. */
  reason: string;
  /** Drained in Slurm first. */
  drain: boolean;
}

/** What a start or resize would do. */
export interface ClusterPlan {
  action: 'start' | 'resize';
  cluster: string;
  template: string;
  cloud: { name: string; provider: string };
  /** The cluster exists already (a start resumes it). */
  existing: boolean;
  create: KindCreatePlan[];
  remove: NodeRemovePlan[];
  /** Nodes the cloud has for this cluster that state does not know (start adopts them). */
  adopt: string[];
  /** Nodes that stay as they are. */
  keep: string[];
  resources: PlannedResource[];
  setup: { run: boolean; playbook: string; nodes: number };
  checks: PreflightCheck[];
  /** Whether the cloud was asked (the provider has a read-only preflight). */
  validated: boolean;
  /** No check failed. */
  ok: boolean;
}

/** What planning needs: it only reads. */
export type PlanDeps = Pick<ClusterDeps, 'repo' | 'createProvider' | 'log'>;

/** The plan of `herd start TEMPLATE [-n NAME] [--nodes ...]`. */
export async function planStart(options: {
  readonly deps: PlanDeps;
  readonly template: Template;
  readonly name: string;
  readonly nodeCounts: readonly NodeCount[];
  readonly setup: boolean;
  readonly signal?: AbortSignal | undefined;
}): Promise<ClusterPlan> {
  const { deps, name } = options;
  validateClusterName(name);
  const existing = await deps.repo.tryLoad(name);
  const template = templateForStart(existing, options.template, name, options.nodeCounts);
  const nodes = existing?.nodes ?? [];
  const failed = nodes.filter((n) => !isLive(n));
  const live = nodes.filter(isLive);
  const wanted = new Map(
    template.kinds.map((k) => [k.name, Math.max(0, k.count - live.filter((n) => n.kind === k.name).length)]),
  );
  const key = await keyPlan(template, existing?.paths.publicKey ?? deps.repo.pathsFor(name).publicKey);
  const plan = await withCloud({
    deps,
    cloud: template.cloud,
    // A new cluster gets its id at start: plan with a fresh one, so nothing of another cluster counts as ours.
    ref: existing ? clusterRef(existing) : { name, id: newClusterId() },
    template,
    live,
    wanted,
    key,
    signal: options.signal,
  });
  const creating = plan.create.reduce((n, k) => n + k.count, 0);
  return finish({
    ...plan,
    action: 'start',
    existing: existing !== undefined,
    remove: failed.map((n) => removal(n, 'failed earlier; replaced', false)),
    resources: [...key.resources, ...plan.resources],
    setup: {
      run: options.setup && (creating > 0 || !existing?.setupCompletedAt),
      playbook: template.setup.playbookPath,
      nodes: live.length + creating,
    },
  });
}

/** The plan of `herd resize NAME -a ... -r ...`. */
export async function planResize(options: {
  readonly deps: PlanDeps;
  readonly name: string;
  readonly cloud: CloudSection;
  readonly add: readonly NodeCount[];
  readonly remove: readonly NodeCount[];
  readonly setup: boolean;
  readonly signal?: AbortSignal | undefined;
}): Promise<ClusterPlan> {
  const { deps, name } = options;
  const state = await deps.repo.load(name);
  const template: Template = { ...state.template, cloud: options.cloud };
  const victims = pickVictims(state, options.remove, []);
  for (const { kind } of options.add) {
    if (!template.kinds.some((k) => k.name === kind)) {
      throw new UsageError(
        `-a/--add: cluster "${name}" has no node kind "${kind}"; its kinds are: ${template.kinds.map((k) => k.name).join(', ')}.`,
      );
    }
  }
  const remaining = state.nodes.filter((n) => !victims.includes(n));
  const failed = options.add.length > 0 ? remaining.filter((n) => !isLive(n)) : [];
  const live = remaining.filter((n) => !failed.includes(n));
  const wanted = new Map(options.add.map(({ kind, count }) => [kind, count]));
  const key = await keyPlan(template, state.paths.publicKey);
  const plan = await withCloud({
    deps,
    cloud: options.cloud,
    ref: clusterRef(state),
    template,
    live,
    wanted,
    key,
    signal: options.signal,
  });
  const drain = state.setupCompletedAt !== undefined;
  return finish({
    ...plan,
    action: 'resize',
    existing: true,
    remove: [
      ...victims.map((n) => removal(n, '-r/--remove', drain && isSlurmWorker(template, n))),
      ...failed.map((n) => removal(n, 'failed earlier; replaced', false)),
    ],
    adopt: [],
    resources: [...key.resources, ...plan.resources],
    setup: {
      run: options.setup && (live.some((n) => n.state === 'ready') || plan.create.length > 0),
      playbook: template.setup.playbookPath,
      nodes: live.length + plan.create.reduce((n, k) => n + k.count, 0),
    },
  });
}

/** The cluster key: the login section's, the cluster's existing one, or one to generate. */
async function keyPlan(
  template: Template,
  generatedPublicKey: string,
): Promise<{ publicKey: string | undefined; resources: PlannedResource[] }> {
  const path = template.login.userKeyPrivate
    ? (template.login.userKeyPublic ?? `${template.login.userKeyPrivate}.pub`)
    : generatedPublicKey;
  try {
    await access(path);
    return {
      publicKey: (await readFile(path, 'utf8')).trim(),
      resources: [{ type: 'ssh-key', name: path.replace(/\.pub$/, ''), action: 'use' }],
    };
  } catch {
    if (template.login.userKeyPrivate) return { publicKey: undefined, resources: [] };
    return {
      publicKey: undefined,
      resources: [
        {
          type: 'ssh-key',
          name: path.replace(/\.pub$/, ''),
          action: 'create',
          detail: 'ed25519, for this cluster',
        },
      ],
    };
  }
}

/** Names of the new nodes, and what the provider's preflight says about them. */
async function withCloud(options: {
  readonly deps: PlanDeps;
  readonly cloud: CloudSection;
  readonly ref: ClusterRef;
  readonly template: Template;
  /** Nodes that stay. */
  readonly live: readonly NodeRecord[];
  /** New nodes per kind. */
  readonly wanted: ReadonlyMap<string, number>;
  readonly key: { publicKey: string | undefined };
  readonly signal: AbortSignal | undefined;
}): Promise<Omit<ClusterPlan, 'action' | 'existing' | 'remove' | 'setup' | 'ok'>> {
  const { deps, cloud, ref, template, live, wanted, signal } = options;
  const publicKey = options.key.publicKey;
  const taken = live.map((n) => n.name);
  const create: KindCreatePlan[] = [];
  for (const kind of template.kinds) {
    const count = wanted.get(kind.name) ?? 0;
    if (count === 0) continue;
    const names = allocateNodeNames(taken, kind.name, count);
    taken.push(...names);
    create.push({
      kind: kind.name,
      count,
      names,
      image: String(kind.settings.image_id ?? ''),
      flavor: kind.settings.flavor === undefined ? undefined : String(kind.settings.flavor),
      placement: undefined,
      securityGroups: [],
    });
  }
  const provider: Provider = await deps.createProvider(cloud, { storageDir: deps.repo.dir, log: deps.log });
  const base = {
    cluster: ref.name,
    template: template.name,
    cloud: { name: cloud.name, provider: cloud.provider },
    keep: live.map((n) => n.name),
    create,
  };
  if (!provider.preflight) {
    return {
      ...base,
      adopt: [],
      resources: [],
      checks: [
        {
          id: 'preflight',
          status: 'warn',
          message: `provider ${cloud.provider} cannot check a plan against the cloud; image, flavor and quota were not checked`,
        },
      ],
      validated: false,
    };
  }
  const kinds: PreflightKind[] = create.map((k) => ({
    kind: k.kind,
    count: k.count,
    settings: template.kinds.find((t) => t.name === k.kind)!.settings,
  }));
  const report = await provider.preflight({
    cluster: ref,
    template: template.name,
    login: { user: template.login.imageUser, publicKey, keyName: template.login.userKeyName },
    kinds,
    ...(signal ? { signal } : {}),
  });
  for (const k of create) {
    const placed = report.kinds.find((p) => p.kind === k.kind);
    if (!placed) continue;
    k.image = placed.image;
    k.flavor = placed.flavor ?? k.flavor;
    k.placement = placed.placement;
    k.securityGroups = placed.securityGroups;
  }
  const credentialsOk = !report.checks.some((c) => c.id === 'credentials' && c.status === 'fail');
  const found = credentialsOk ? await provider.findNodes(ref).catch(() => []) : [];
  const known = new Set([...live.map((n) => n.instanceId), ...live.map((n) => n.name)]);
  const adopt = found
    .filter((s) => !known.has(s.instanceId) && !(s.name && known.has(s.name)))
    .map((s) => s.name ?? s.instanceId);
  return { ...base, adopt, resources: report.resources, checks: report.checks, validated: true };
}

function removal(node: NodeRecord, reason: string, drain: boolean): NodeRemovePlan {
  return { name: node.name, kind: node.kind, instanceId: node.instanceId ?? null, reason, drain };
}

function finish(plan: Omit<ClusterPlan, 'ok'>): ClusterPlan {
  return { ...plan, ok: !plan.checks.some((c) => c.status === 'fail') };
}
