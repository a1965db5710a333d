/** Builders of ClusterState and Template values for ssh and setup tests. */
import type { KindSpec, Template } from '../../src/config/types.js';
import { type ClusterState, type NodeRecord, STATE_VERSION } from '../../src/state/types.js';

/** A kind with the given groups and vars. */
export function kind(name: string, groups: string[], vars: Record<string, string> = {}): KindSpec {
  return { name, count: 1, min: 1, groups, vars, settings: {} };
}

/** A template on the local provider; `overrides` replace whole sections. */
export function template(overrides: Partial<Template> = {}): Template {
  return {
    name: 'slurm',
    cloud: {
      name: 'local',
      provider: 'local',
      settings: { secret_key: 'S3CR3T-cloud', subnet: '10.77.0.0/24' },
    },
    login: {
      name: 'debian',
      imageUser: 'debian',
      imageSudo: true,
      imageUserSudo: 'root',
      userKeyName: undefined,
      userKeyPrivate: undefined,
      userKeyPublic: undefined,
      settings: {},
    },
    setup: {
      name: 'slurm',
      provider: 'ansible',
      playbookPath: '/opt/herd/playbooks/site.yml',
      ansibleCommand: undefined,
      ansibleExtraArgs: [],
      ansibleSettings: {},
      globalVars: {},
    },
    cluster: { sshTo: undefined, sshProbeTimeout: 5, startTimeout: 600, sshProxyCommand: undefined },
    kinds: [kind('frontend', ['slurm_master']), kind('compute', ['slurm_worker'])],
    ...overrides,
  };
}

/** A ready node of a kind with an IP. */
export function node(name: string, ip: string | undefined, extra: Partial<NodeRecord> = {}): NodeRecord {
  const kindName = name.replace(/\d+$/, '');
  return {
    name,
    kind: kindName,
    cloudName: `mycluster-${name}`,
    state: ip === undefined ? 'failed' : 'ready',
    publicIps: [],
    privateIps: ip === undefined ? [] : [ip],
    ...(ip === undefined ? {} : { preferredIp: ip }),
    runId: 'run1',
    createdAt: '2025-01-01T00:00:00.000Z',
    ...extra,
  };
}

/** A cluster state holding `nodes`. */
export function clusterState(nodes: NodeRecord[], tpl: Template = template()): ClusterState {
  return {
    version: STATE_VERSION,
    name: 'mycluster',
    templateName: tpl.name,
    template: tpl,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    nodes,
    paths: {
      privateKey: '/var/lib/herd/mycluster.key',
      publicKey: '/var/lib/herd/mycluster.key.pub',
      knownHosts: '/var/lib/herd/mycluster.known_hosts',
      inventory: '/var/lib/herd/mycluster.inventory',
    },
  };
}
