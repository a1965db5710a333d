/**
 * Argument vectors for the system OpenSSH client (`herd ssh`, `herd sftp`) and the SSH options
 * Ansible passes to it. Every connection checks the node's key against herd's own known_hosts,
 * looked up by node name through `HostKeyAlias`, with `StrictHostKeyChecking=yes`.
 */
import { isIP } from 'node:net';
import { userNameProblem } from '../config/schema/login.js';
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
  // State written by an older herd (or by hand) never gets to put an option where ssh reads a name.
  if (isIP(node.preferredIp) === 0) {
    throw new UsageError(`Node ${node.name} of cluster ${state.name} has no valid IP address in its state.`, {
      hint: `Run \`herd list-nodes ${state.name} -u\` to read its addresses from the cloud again.`,
    });
  }
  const userProblem = userNameProblem(state.template.login.imageUser);
  if (userProblem) {
    throw new UsageError(
      `Cluster ${state.name} logs in as image_user "${state.template.login.imageUser}", which ${userProblem}.`,
      {
        hint: 'Fix image_user in the login section and run `herd setup` or `herd start` again.',
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

/**
 * Options that make OpenSSH accept only the host key herd pinned: herd's known_hosts alone, strict
 * checking, no IP-keyed entries, no key from DNS or a command, and no key rotation behind herd's
 * back. Shared by ssh, sftp and Ansible, and always given before any option of the user's
 * (OpenSSH keeps the first value of an option).
 */
function pinnedKeyOptions(knownHostsPath: string): string[] {
  return [
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${escapeTokens(knownHostsPath)}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'KnownHostsCommand=none',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'CheckHostIP=no',
    '-o',
    'UpdateHostKeys=no',
    '-o',
    'VerifyHostKeyDNS=no',
  ];
}

/** OpenSSH expands `%` tokens in file options (UserKnownHostsFile, ControlPath): keep a path literal. */
function escapeTokens(path: string): string {
  return path.replaceAll('%', '%%');
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

/**
 * `ssh` arguments: herd's options, `-l USER -p PORT`, the user's own ssh options, `--`, the IP, then
 * the remote command. `--` and `-l` make sure neither the address nor the user is ever read as an
 * option. The user's args are split as OpenSSH splits what follows a host name: leading options
 * (with their values) stay options, the rest is the command.
 */
export function buildSshArgs(target: OpenSshTarget, extraArgs: readonly string[] = []): string[] {
  const { options, command } = splitSshUserArgs(extraArgs);
  return [
    ...commonOptions(target),
    '-l',
    target.user,
    '-p',
    String(target.port ?? 22),
    ...options,
    '--',
    target.ip,
    ...command,
  ];
}

/** `sftp` arguments: options, `User=`, `-P PORT`, the user's args (sftp options), `--`, then the host. */
export function buildSftpArgs(target: OpenSshTarget, extraArgs: readonly string[] = []): string[] {
  const host = target.ip.includes(':') ? `[${target.ip}]` : target.ip;
  return [
    ...commonOptions(target),
    '-o',
    `User=${target.user}`,
    '-P',
    String(target.port ?? 22),
    ...extraArgs,
    '--',
    host,
  ];
}

// OpenSSH 9's ssh options that take a value (its getopt string, the letters followed by ':').
const SSH_OPTIONS_WITH_VALUE = new Set('bcDeEFiIJlLmOopQRSwW'.split(''));

/**
 * Splits what the user put after `herd ssh NAME --` into ssh options and the remote command, the
 * way OpenSSH parses arguments after the host: options (and option values) until the first word
 * that is not one, or until `--`.
 */
export function splitSshUserArgs(words: readonly string[]): { options: string[]; command: string[] } {
  let i = 0;
  while (i < words.length) {
    const word = words[i]!;
    if (word === '--') return { options: words.slice(0, i), command: words.slice(i + 1) };
    if (!word.startsWith('-') || word === '-') break;
    let next = i + 1;
    for (let j = 1; j < word.length; j++) {
      if (!SSH_OPTIONS_WITH_VALUE.has(word[j]!)) continue;
      // A value glued to the letter (-p2222) ends the word; otherwise it is the next word.
      if (j === word.length - 1) next = i + 2;
      break;
    }
    i = next;
  }
  return { options: words.slice(0, Math.min(i, words.length)), command: words.slice(i) };
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

/** What one Ansible host's ssh arguments need from herd. */
export interface AnsibleHostSsh {
  knownHostsPath: string;
  /** The node name, looked up in known_hosts through `HostKeyAlias`. */
  node: string;
  /** This node's control socket; undefined = no connection sharing. */
  controlPath: string | undefined;
  proxyCommand?: string | undefined;
}

/**
 * herd's ssh arguments for one Ansible host (its `ansible_ssh_args`, which come first on every
 * ssh command line Ansible builds): a control socket of this node alone, the pinned host key looked
 * up by node name, and the proxy command. The user's own ssh arguments follow them.
 */
export function ansibleHostSshArgs(host: AnsibleHostSsh): string[] {
  const sharing = host.controlPath
    ? [
        '-o',
        'ControlMaster=auto',
        '-o',
        'ControlPersist=60s',
        '-o',
        `ControlPath=${escapeTokens(host.controlPath)}`,
      ]
    : ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
  return [
    ...sharing,
    ...pinnedKeyOptions(host.knownHostsPath),
    '-o',
    `HostKeyAlias=${host.node}`,
    ...proxyOptions(host.proxyCommand),
  ];
}

/**
 * The value of `ANSIBLE_SSH_ARGS` for hosts the inventory does not describe (a playbook's
 * `add_host`): the pinned known_hosts without a node name matches no key, so ssh refuses them.
 */
export function ansibleSshArgs(options: {
  knownHostsPath: string;
  proxyCommand?: string | undefined;
}): string[] {
  return [
    '-o',
    'ControlMaster=no',
    '-o',
    'ControlPath=none',
    ...pinnedKeyOptions(options.knownHostsPath),
    ...proxyOptions(options.proxyCommand),
  ];
}

function proxyOptions(proxyCommand: string | undefined): string[] {
  if (!proxyCommand) return [];
  // Validate as ElastiCluster would; OpenSSH itself then expands %h %p %r per host.
  expandProxyCommand(proxyCommand, { host: 'h', port: 22, user: 'r' });
  return ['-o', `ProxyCommand=${proxyCommand}`];
}

export { shellQuote } from '../config/ssh-options.js';
