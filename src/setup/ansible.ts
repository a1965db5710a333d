/**
 * Running `ansible-playbook` on a cluster. The invocation is built by a pure function (argv and
 * environment), so what herd runs can be tested and shown at -vv; the runner streams output and
 * turns a failed run into an AnsibleError naming the failing hosts and tasks.
 */
import { dirname, join } from 'node:path';
import type { Template } from '../config/types.js';
import { ansibleSshArgs } from '../ssh/openssh.js';
import type { ClusterState } from '../state/types.js';

export { runAnsible } from './run-ansible.js';

/** A command to run: executable, arguments and the environment variables herd sets. */
export interface AnsibleInvocation {
  command: string;
  args: string[];
  /** `ANSIBLE_*` variables for the run (the user's own `ANSIBLE_*` already applied on top). */
  env: Record<string, string>;
}

/** Options of {@link buildAnsibleInvocation}. */
export interface BuildAnsibleOptions {
  state: ClusterState;
  /** The template to take the setup section from (default: the state's snapshot). */
  template?: Template;
  /** Arguments after `--` on herd's command line. */
  extraArgs?: readonly string[];
  /** herd's `-v` count, passed on as `-v`, `-vv`, ... */
  verbosity?: number;
  /** The user's environment (default `process.env`); its `ANSIBLE_*` variables win. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Roles shipped with herd, searched after the playbook's own `roles/`. */
  bundledRolesDir?: string;
  /** Directory of OpenSSH control sockets (default /tmp/herd-cp-<uid>). */
  controlDir?: string;
}

/**
 * Builds `ansible-playbook --private-key=KEY --inventory=FILE --become --become-user=root [-v..]
 * PLAYBOOK [ansible_extra_args] [extraArgs]` and its environment. Precedence of `ANSIBLE_*`
 * variables: herd's defaults < the setup section's `ansible_<x>` keys < the user's environment.
 */
export function buildAnsibleInvocation(options: BuildAnsibleOptions): AnsibleInvocation {
  const { state } = options;
  const template = options.template ?? state.template;
  const setup = template.setup;
  const [command, ...commandArgs] = setup.ansibleCommand ? splitShellWords(setup.ansibleCommand) : [];
  const verbosity = Math.min(options.verbosity ?? 0, 6);
  const args = [
    ...commandArgs,
    `--private-key=${state.paths.privateKey}`,
    `--inventory=${state.paths.inventory}`,
    '--become',
    '--become-user=root',
    ...(verbosity > 0 ? [`-${'v'.repeat(verbosity)}`] : []),
    setup.playbookPath,
    ...setup.ansibleExtraArgs,
    ...(options.extraArgs ?? []),
  ];

  const nodeCount = state.nodes.filter((n) => n.state === 'ready').length;
  const rolesPath = [join(dirname(setup.playbookPath), 'roles'), options.bundledRolesDir]
    .filter((p, i, all): p is string => p !== undefined && all.indexOf(p) === i)
    .join(':');
  const defaults: Record<string, string> = {
    ANSIBLE_FORKS: String(Math.min(50, Math.max(5, nodeCount))),
    // Host keys are pinned in herd's known_hosts; ssh refuses any other key.
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_RETRY_FILES_ENABLED: 'no',
    ANSIBLE_ROLES_PATH: rolesPath,
    ANSIBLE_SSH_PIPELINING: 'yes',
    ANSIBLE_PIPELINING: 'yes',
    ANSIBLE_SSH_TRANSFER_METHOD: 'piped',
    ANSIBLE_TIMEOUT: '120',
    ANSIBLE_SSH_ARGS: ansibleSshArgs({
      knownHostsPath: state.paths.knownHosts,
      controlDir: options.controlDir,
      proxyCommand: template.cluster.sshProxyCommand,
    }),
    // One-line JSON results keep `fatal: [host]: FAILED! => {...}` parseable for the error report.
    ANSIBLE_CALLBACK_RESULT_FORMAT: 'json',
    ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
  };
  const fromSetup: Record<string, string> = {};
  for (const [key, value] of Object.entries(setup.ansibleSettings)) {
    fromSetup[key.toUpperCase()] = String(value);
  }
  const fromUser: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env ?? process.env)) {
    if (key.startsWith('ANSIBLE_') && value !== undefined) fromUser[key] = value;
  }
  return { command: command ?? 'ansible-playbook', args, env: { ...defaults, ...fromSetup, ...fromUser } };
}

/** Splits a command line into words like a POSIX shell: quotes and backslashes, no expansion. */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) word += line[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word ??= '';
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\') word += line[++i] ?? '';
      else word += c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
