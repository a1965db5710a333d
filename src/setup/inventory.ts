/**
 * The Ansible inventory of a cluster, as ElastiCluster writes it: one INI group per Ansible group
 * of each kind (`<kind>_groups`), and per node its address, login user, the setup section's
 * `ansible_*` settings, the cluster section's free-form keys (`elasticluster`) and the
 * `<kind>_var_*` / `global_var_*` variables. It holds no secret: the
 * cloud section is never read here.
 */
import type { Template } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { hostKeyAliasArgs, shellQuote } from '../ssh/openssh.js';
import { writePrivateFileAtomic } from '../ssh/write-private-file.js';
import type { ClusterState, NodeRecord } from '../state/types.js';

// Host variables herd sets itself per node; the same keys in the setup section do not override them.
const HERD_OWNED = new Set(['ansible_host', 'ansible_user']);

/**
 * Renders the inventory of the cluster's ready nodes. Every node's variables are on one host line
 * at the top (so a node in several groups is described once); group sections list names only.
 * Values are quoted so that Ansible's INI parser (shlex) gets back the exact text; Ansible then
 * reads numbers, True/False and lists as such, as it does for any INI inventory.
 */
export function renderInventory(state: ClusterState, template: Template = state.template): string {
  const nodes = state.nodes
    .filter(
      (n): n is NodeRecord & { preferredIp: string } => n.state === 'ready' && n.preferredIp !== undefined,
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  const kinds = new Map(template.kinds.map((k) => [k.name, k]));
  const lines = [
    `# Ansible inventory of herd cluster "${state.name}" (template ${template.name}); herd rewrites this file.`,
  ];

  for (const node of nodes) {
    const vars: [string, string][] = [
      ['ansible_host', node.preferredIp],
      ['ansible_user', template.login.imageUser],
    ];
    const extraSsh = [hostKeyAliasArgs(node.name)];
    for (const [key, value] of Object.entries(template.setup.ansibleSettings)) {
      if (HERD_OWNED.has(key)) continue;
      if (key === 'ansible_ssh_extra_args') extraSsh.push(String(value));
      else vars.push([key, String(value)]);
    }
    vars.push(['ansible_ssh_extra_args', extraSsh.join(' ')]);
    // ElastiCluster hands the cluster section's free-form keys to playbooks as `elasticluster.<key>`.
    // A JSON object of strings is also a Python literal, which Ansible's INI parser turns into a dict.
    if (template.cluster.extra) vars.push(['elasticluster', JSON.stringify(template.cluster.extra)]);
    const kindVars = { ...template.setup.globalVars, ...kinds.get(node.kind)?.vars };
    for (const [key, value] of Object.entries(kindVars)) vars.push([key, value]);
    lines.push([node.name, ...vars.map(([key, value]) => `${key}=${quoteValue(key, value)}`)].join(' '));
  }

  const groups = new Map<string, string[]>();
  for (const kind of template.kinds) {
    for (const group of kind.groups) {
      const members = groups.get(group) ?? [];
      members.push(...nodes.filter((n) => n.kind === kind.name).map((n) => n.name));
      groups.set(group, members);
    }
  }
  for (const [group, members] of groups) {
    lines.push('', `[${group}]`, ...[...new Set(members)].sort());
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the inventory atomically, mode 0600. */
export async function writeInventory(path: string, text: string): Promise<void> {
  await writePrivateFileAtomic(path, text);
}

function quoteValue(key: string, value: string): string {
  if (/[\r\n]/.test(value)) {
    throw new ConfigError([
      {
        key,
        message: 'contains a line break, which an Ansible INI inventory cannot hold; put it on one line.',
      },
    ]);
  }
  // shellQuote leaves `#` out of its safe set, so a value never starts an INI comment.
  return shellQuote(value);
}
