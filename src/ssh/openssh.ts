/**
 * Argument vectors for the system OpenSSH client (`herd ssh`, `herd sftp`) and the SSH options
 * Ansible passes to it. Every connection checks the node's key against herd's own known_hosts,
 * looked up by node name through `HostKeyAlias`, with `StrictHostKeyChecking=yes`.
 */
import { mkdir } from 'node:fs/promises';
import { ConfigError, UsageError } from '../errors.js';
import type { ClusterState, NodeRecord } from '../state/types.js';

/** Everything OpenSSH needs to reach one node. */
export interface OpenSshTarget {
  /** Node name: the `HostKeyAlias`, matching its known_hosts line. */
  node: string;
  ip: string;
  /** Default 22. */
  port?: number;
  user: string;
  /** Path of the private key. */
  privateKeyPath: string;
  /** Path of the cluster's known_hosts. */
  knownHostsPath: string;
  /** `ssh_proxy_command` as configured, `%h %p %r` not yet expanded. */
  proxyCommand?: string | undefined;
}

/** The ssh/sftp target for a node of a cluster (the node must have a preferred IP). */
export function openSshTargetFor(state: ClusterState, node: NodeRecord): OpenSshTarget {
  if (!node.preferredIp) {
    throw new UsageError(
      `Node ${node.name} of cluster ${state.name} has no reachable IP (state: ${node.state}).`,
      {
        hint: `Run \`herd start ${state.name}\` to bring it up, or pick another node with -n.`,
      },
    );
  }
  return {
    node: node.name,
    ip: node.preferredIp,
    user: state.template.login.imageUser,
    privateKeyPath: state.paths.privateKey,
    knownHostsPath: state.paths.knownHosts,
    proxyCommand: state.template.cluster.sshProxyCommand,
  };
}

/**
 * Expands `%h` (address), `%p` (port), `%r` (user) and `%%` in a proxy command as ElastiCluster
 * does; any other `%x` is a configuration error.
 */
export function expandProxyCommand(
  command: string,
  values: { host: string; port: number; user: string },
): string {
  const subst: Record<string, string> = { h: values.host, p: String(values.port), r: values.user, '%': '%' };
  return command.replace(/%(.?)/g, (_match, token: string) => {
    const value = subst[token];
    if (value === undefined) {
      throw new ConfigError([
        {
          key: 'ssh_proxy_command',
          message: `unknown token "%${token}" in "${command}"; only %h (host), %p (port), %r (user) and %% are expanded.`,
        },
      ]);
    }
    return value;
  });
}

/** Options shared by ssh and sftp; `HostKeyAlias` makes the name-keyed known_hosts line match. */
/**
 * Options that make OpenSSH accept only the host key herd pinned: herd's known_hosts alone, strict
 * checking, no IP-keyed entries and no key rotation behind herd's back. Shared by ssh, sftp and Ansible.
 */
function pinnedKeyOptions(knownHostsPath: string): string[] {
  return [
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsPath}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'CheckHostIP=no',
    '-o',
    'UpdateHostKeys=no',
  ];
}

function commonOptions(target: OpenSshTarget): string[] {
  const port = target.port ?? 22;
  const options = [
    '-i',
    target.privateKeyPath,
    ...pinnedKeyOptions(target.knownHostsPath),
    '-o',
    `HostKeyAlias=${target.node}`,
  ];
  if (target.proxyCommand) {
    const expanded = expandProxyCommand(target.proxyCommand, { host: target.ip, port, user: target.user });
    // OpenSSH expands % tokens in ProxyCommand once more: keep our result literal.
    options.push('-o', `ProxyCommand=${expanded.replaceAll('%', '%%')}`);
  }
  return options;
}

/** `ssh` arguments: options, `-p PORT`, `user@ip`, then the user's args (a remote command). */
export function buildSshArgs(target: OpenSshTarget, extraArgs: readonly string[] = []): string[] {
  return [
    ...commonOptions(target),
    '-p',
    String(target.port ?? 22),
    `${target.user}@${target.ip}`,
    ...extraArgs,
  ];
}

/** `sftp` arguments: options, `-P PORT`, the user's args (sftp options), then `user@ip`. */
export function buildSftpArgs(target: OpenSshTarget, extraArgs: readonly string[] = []): string[] {
  const host = target.ip.includes(':') ? `[${target.ip}]` : target.ip;
  return [...commonOptions(target), '-P', String(target.port ?? 22), ...extraArgs, `${target.user}@${host}`];
}

// Kinds ElastiCluster connects to when neither -n nor ssh_to says otherwise, in this order.
const LOGIN_KINDS = ['ssh', 'login', 'frontend', 'master'];

/**
 * The node `herd ssh`/`sftp` connects to: `nodeOrKind` (from `-n`, else `ssh_to`) as a node name,
 * else as a kind (its first node); without one, the first node of kind ssh, login, frontend or
 * master, else the first node of the alphabetically first kind. Only nodes with an IP count.
 */
export function chooseSshTarget(state: ClusterState, nodeOrKind?: string): NodeRecord {
  const wanted = nodeOrKind ?? state.template.cluster.sshTo;
  const reachable = state.nodes
    .filter((n) => n.preferredIp !== undefined && n.state !== 'terminating')
    .sort((a, b) => a.name.localeCompare(b.name));
  const firstOfKind = (kind: string) => reachable.find((n) => n.kind === kind);
  if (wanted !== undefined) {
    const chosen = reachable.find((n) => n.name === wanted) ?? firstOfKind(wanted);
    if (chosen) return chosen;
    const from =
      nodeOrKind === undefined ? `ssh_to=${wanted} in [cluster/${state.templateName}]` : `-n ${wanted}`;
    throw new UsageError(`${from}: cluster ${state.name} has no reachable node or kind named "${wanted}".`, {
      hint: describeChoices(reachable),
    });
  }
  for (const kind of LOGIN_KINDS) {
    const chosen = firstOfKind(kind);
    if (chosen) return chosen;
  }
  const kinds = [...new Set(reachable.map((n) => n.kind))].sort();
  const chosen = kinds[0] === undefined ? undefined : firstOfKind(kinds[0]);
  if (!chosen) {
    throw new UsageError(`Cluster ${state.name} has no node with a reachable IP.`, {
      hint: `Run \`herd start ${state.name}\` to bring its nodes up.`,
    });
  }
  return chosen;
}

function describeChoices(nodes: readonly NodeRecord[]): string {
  if (nodes.length === 0) return 'No node of this cluster is reachable.';
  const kinds = [...new Set(nodes.map((n) => n.kind))].sort();
  return `Valid nodes: ${nodes.map((n) => n.name).join(', ')}. Valid kinds: ${kinds.join(', ')}.`;
}

/** Directory for OpenSSH control sockets: short, because a socket path may hold only 108 bytes. */
export function controlPathDir(uid: number = process.getuid?.() ?? 0): string {
  return `/tmp/herd-cp-${uid}`;
}

/** Creates the control socket directory, readable only by the user. */
export async function ensureControlPathDir(dir: string = controlPathDir()): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * The value of `ANSIBLE_SSH_ARGS`: multiplexing plus the pinned known_hosts. The per-node
 * `HostKeyAlias` cannot go here (OpenSSH expands no token in it, and Ansible connects to the IP),
 * so the inventory sets it per host with {@link hostKeyAliasArgs}.
 */
export function ansibleSshArgs(options: {
  knownHostsPath: string;
  controlDir?: string;
  proxyCommand?: string | undefined;
}): string {
  const args = [
    '-o',
    'ControlMaster=auto',
    '-o',
    'ControlPersist=60s',
    '-o',
    `ControlPath=${options.controlDir ?? controlPathDir()}/%C`,
    ...pinnedKeyOptions(options.knownHostsPath),
  ];
  if (options.proxyCommand) {
    // Validate as ElastiCluster would; OpenSSH itself then expands %h %p %r per host.
    expandProxyCommand(options.proxyCommand, { host: 'h', port: 22, user: 'r' });
    args.push('-o', `ProxyCommand=${options.proxyCommand}`);
  }
  return args.map(shellQuote).join(' ');
}

/** The per-host `ansible_ssh_extra_args` value that makes OpenSSH look the node up by name. */
export function hostKeyAliasArgs(node: string): string {
  return `-o HostKeyAlias=${shellQuote(node)}`;
}

/** Quotes a word for POSIX shell / Python shlex parsing; plain words stay unquoted. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}
