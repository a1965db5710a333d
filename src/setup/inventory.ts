/**
 * The Ansible inventory of a cluster, as ElastiCluster writes it: one INI group per Ansible group
 * of each kind (`<kind>_groups`), and per node its address, login user, the setup section's
 * `ansible_*` settings, the cluster section's free-form keys (`elasticluster`) and the
 * `<kind>_var_*` / `global_var_*` variables. It holds no secret: the cloud section is never read
 * here, and a secret setting or variable is an environment lookup (see secret-env.ts). Each node's
 * `ansible_ssh_args` starts with herd's own ssh options (its control socket and its pinned host
 * key), then the user's, cleaned of the options herd owns.
 */
import { SSH_ARG_VARIABLES } from '../config/ansible-checks.js';
import { isSecretKey } from '../config/secret-keys.js';
import { sanitizeSshArgsText } from '../config/ssh-options.js';
import type { Template } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { parseHostKey } from '../ssh/known-hosts.js';
import { ansibleHostSshArgs, shellQuote } from '../ssh/openssh.js';
import { type ConnectionIdentity, controlPathFor } from '../ssh/run-dir.js';
import { writePrivateFileAtomic } from '../ssh/write-private-file.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import { secretEnvFor, variablesOf } from './secret-env.js';

// Host variables herd sets itself per node; the same keys in the setup section or a variable do not override them.
const HERD_OWNED = new Set([
  'ansible_host',
  'ansible_user',
  'ansible_connection',
  'ansible_ssh_args',
  'herd_host_key',
]);
// Ssh arguments of the user's that follow herd's (ansible_ssh_args itself is merged into herd's own).
const SSH_ARGS_AFTER_HERDS: ReadonlySet<string> = new Set(
  SSH_ARG_VARIABLES.filter((v) => v !== 'ansible_ssh_args'),
);

/** Inputs of {@link renderInventory} besides the cluster. */
export interface InventoryOptions {
  /** The cluster's run directory (control sockets); undefined = no connection sharing. */
  runDir?: string | undefined;
  /** The user's `ANSIBLE_SSH_ARGS`, used for nodes whose settings and variables set no ansible_ssh_args. */
  envSshArgs?: string | undefined;
}

/**
 * Renders the inventory of the cluster's ready nodes. Every node's variables are on one host line
 * at the top (so a node in several groups is described once); group sections list names only.
 * Values are quoted so that Ansible's INI parser (shlex) gets back the exact text; Ansible then
 * reads numbers, True/False and lists as such, as it does for any INI inventory.
 */
export function renderInventory(
  state: ClusterState,
  template: Template = state.template,
  options: InventoryOptions = {},
): string {
  const nodes = state.nodes
    .filter(
      (n): n is NodeRecord & { preferredIp: string } => n.state === 'ready' && n.preferredIp !== undefined,
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  const secrets = secretEnvFor(template);
  const lines = [
    `# Ansible inventory of herd cluster "${state.name}" (template ${template.name}); herd rewrites this file.`,
  ];

  for (const node of nodes) {
    const kindVars = variablesOf(template, node.kind);
    const settings = template.setup.ansibleSettings;
    const userSshArgs = kindVars['ansible_ssh_args'] ?? settings['ansible_ssh_args'] ?? options.envSshArgs;
    const identity: ConnectionIdentity = {
      cluster: state.name,
      node: node.name,
      ip: node.preferredIp,
      port: 22,
      user: template.login.imageUser,
      hostKey: node.hostKey,
      proxyCommand: template.cluster.sshProxyCommand,
    };
    const herdSsh = ansibleHostSshArgs({
      knownHostsPath: state.paths.knownHosts,
      node: node.name,
      controlPath: options.runDir === undefined ? undefined : controlPathFor(options.runDir, identity),
      proxyCommand: template.cluster.sshProxyCommand,
    });
    const vars: [string, string][] = [
      ['ansible_host', node.preferredIp],
      ['ansible_user', template.login.imageUser],
      ['ansible_connection', 'ssh'],
      ['ansible_ssh_args', joinSshArgs(herdSsh, userSshArgs, 'ansible_ssh_args')],
    ];
    // The key herd pinned: the nodes' known hosts list it (the same whether or not this run gathers the node's facts).
    const pinned = node.hostKey === undefined ? undefined : parseHostKey(node.hostKey);
    if (pinned) vars.push(['herd_host_key', `${pinned.type} ${pinned.base64}`]);
    const add = (key: string, value: unknown, secret: string | undefined) => {
      if (HERD_OWNED.has(key)) return;
      if (secret !== undefined) vars.push([key, secret]);
      // A secret with no environment variable (a node of a kind the template lacks) is left out, never written.
      else if (isSecretKey(key)) return;
      else if (SSH_ARGS_AFTER_HERDS.has(key)) vars.push([key, joinSshArgs([], String(value), key)]);
      else vars.push([key, String(value)]);
    };
    for (const [key, value] of Object.entries(settings)) add(key, value, secrets.setting(key));
    // ElastiCluster hands the cluster section's free-form keys to playbooks as `elasticluster.<key>`.
    // A JSON object of strings is also a Python literal, which Ansible's INI parser turns into a dict.
    if (template.cluster.extra) vars.push(['elasticluster', JSON.stringify(template.cluster.extra)]);
    // The idle_stop role's settings; without them its default (0) turns a watcher installed earlier off.
    const idle = template.cluster.idleStopMinutes;
    if (idle) vars.push(['herd_idle_stop_seconds', String(Math.max(1, Math.round(idle * 60)))]);
    if (idle && template.cluster.idleAction) vars.push(['herd_idle_action', template.cluster.idleAction]);
    for (const [key, value] of Object.entries(kindVars)) add(key, value, secrets.variable(node.kind, key));
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

/** herd's ssh arguments, then the user's without the options herd owns, as one shlex-quoted value. */
function joinSshArgs(herd: readonly string[], user: unknown, key: string): string {
  const own = herd.map(shellQuote);
  if (user === undefined || user === '') return own.join(' ');
  const sanitized = sanitizeSshArgsText(String(user));
  if ('error' in sanitized) throw new ConfigError([{ key, message: sanitized.error }]);
  return [...own, sanitized.text].filter((part) => part !== '').join(' ');
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
