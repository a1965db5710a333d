/**
 * Running `ansible-playbook` on a cluster. The invocation is built by a pure function (argv,
 * environment, files to write), so what herd runs can be tested and shown at -vv; the runner
 * streams output and turns a failed run into an AnsibleError naming the failing hosts and tasks.
 *
 * Nothing secret is on the command line: extra vars go to private files (extra-vars.ts), secret
 * settings and variables to the environment (secret-env.ts). ansible-playbook gets an allowlisted
 * environment, never herd's whole one (which may hold cloud credentials).
 */
import { dirname, join } from 'node:path';
import { checkAnsibleArgs, checkAnsibleVariable } from '../config/ansible-checks.js';
import { splitShellWords } from '../config/shell-words.js';
import { sanitizeSshArgsText } from '../config/ssh-options.js';
import type { Template } from '../config/types.js';
import { UsageError } from '../errors.js';
import { ansibleSshArgs, shellQuote } from '../ssh/openssh.js';
import type { ClusterState } from '../state/types.js';
import { moveExtraVarsToFiles, type RunFile } from './extra-vars.js';
import { secretEnvFor } from './secret-env.js';

export { runAnsible } from './run-ansible.js';

/** A command to run: executable, arguments, its whole environment and the files to write first. */
export interface AnsibleInvocation {
  command: string;
  args: string[];
  /** The complete environment of the run (allowlisted from the user's, plus herd's `ANSIBLE_*`). */
  env: Record<string, string>;
  /** Private files (extra vars) to write before the run and remove after it. */
  files: RunFile[];
  /** What herd changed or ignored in the user's settings, to show before the run. */
  warnings: string[];
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
  /** The user's environment (default `process.env`): allowlisted variables and `ANSIBLE_*` pass. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Roles shipped with herd, searched after the playbook's own `roles/`. */
  bundledRolesDir?: string;
  /** The cluster's run directory, for extra-vars files; undefined = extra vars stay on the command line. */
  runDir?: string;
}

/** Variables of the user's environment that ansible-playbook gets besides `ANSIBLE_*`. */
const PASSED_ENV = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TERM',
  'TZ',
  'TMPDIR',
  'SSH_AUTH_SOCK',
  'PYTHONPATH',
  'VIRTUAL_ENV',
]);

/** The part of the user's environment ansible-playbook may see: locale, paths, ssh agent, `ANSIBLE_*`. */
export function allowlistedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (PASSED_ENV.has(key) || key.startsWith('LC_') || key.startsWith('ANSIBLE_')) out[key] = value;
  }
  return out;
}

/** `ANSIBLE_*` variables that hold ssh arguments, with the Ansible variable each stands for. */
const SSH_ARG_ENV: Readonly<Record<string, string>> = {
  ANSIBLE_SSH_ARGS: 'ansible_ssh_args',
  ANSIBLE_SSH_COMMON_ARGS: 'ansible_ssh_common_args',
  ANSIBLE_SSH_EXTRA_ARGS: 'ansible_ssh_extra_args',
  ANSIBLE_SFTP_EXTRA_ARGS: 'ansible_sftp_extra_args',
  ANSIBLE_SCP_EXTRA_ARGS: 'ansible_scp_extra_args',
};
const OTHER_CHECKED_ENV: Readonly<Record<string, string>> = {
  ANSIBLE_HOST_KEY_CHECKING: 'ansible_host_key_checking',
  ANSIBLE_SSH_HOST_KEY_CHECKING: 'ansible_ssh_host_key_checking',
  ANSIBLE_TRANSPORT: 'ansible_connection',
};

/**
 * The words of the setup section's `ansible_command` (none when unset). Config loading reports a
 * malformed one with its file and line; this guards a template that did not come through it.
 */
function ansibleCommandWords(ansibleCommand: string | undefined): string[] {
  if (!ansibleCommand) return [];
  const words = splitShellWords(ansibleCommand);
  if (typeof words === 'string') {
    throw new UsageError(`ansible_command "${ansibleCommand}" in the setup section: ${words}.`, {
      hint: 'Fix ansible_command in the [setup/NAME] section of the configuration.',
    });
  }
  return words;
}

/**
 * Builds `ansible-playbook --private-key=KEY --inventory=FILE --become --become-user=root [-v..]
 * PLAYBOOK [ansible_extra_args] [extraArgs]`, its environment and its files. Precedence of
 * `ANSIBLE_*` variables: herd's defaults < the setup section's `ansible_<x>` keys < the user's
 * environment; ssh arguments from any of them follow herd's pinning options and lose the options
 * herd owns. Throws UsageError for arguments that would undo the pinning.
 */
export function buildAnsibleInvocation(options: BuildAnsibleOptions): AnsibleInvocation {
  const { state } = options;
  const template = options.template ?? state.template;
  const setup = template.setup;
  const userEnv = options.env ?? process.env;
  const [command, ...commandArgs] = ansibleCommandWords(setup.ansibleCommand);
  const verbosity = Math.min(options.verbosity ?? 0, 6);
  const warnings: string[] = [];

  const userArgs = [...commandArgs, ...setup.ansibleExtraArgs, ...(options.extraArgs ?? [])];
  const checked = checkAnsibleArgs(userArgs);
  if (checked.errors.length > 0) {
    throw new UsageError(`Refusing to run ansible-playbook: ${checked.errors.join('; ')}.`, {
      hint: 'Remove these arguments from ansible_extra_args / ansible_command in the setup section, or from after `--`.',
    });
  }
  warnings.push(...checked.warnings);
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
  ].map((word, i, all) => (isSshArgsFlagValue(all, i) ? sanitizedOrSame(word) : word));
  const moved =
    options.runDir === undefined ? { args, files: [] } : moveExtraVarsToFiles(args, options.runDir);

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
    // One-line JSON results keep `fatal: [host]: FAILED! => {...}` parseable for the error report.
    ANSIBLE_CALLBACK_RESULT_FORMAT: 'json',
    ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
  };
  const fromSetup: Record<string, string> = {};
  for (const [key, value] of Object.entries(setup.ansibleSettings)) {
    fromSetup[key.toUpperCase()] = String(value);
  }
  const passed = allowlistedEnv(userEnv);
  const fromUser: Record<string, string> = {};
  for (const [key, value] of Object.entries(passed)) {
    if (!key.startsWith('ANSIBLE_')) continue;
    fromUser[key] = value;
    const variable = SSH_ARG_ENV[key] ?? OTHER_CHECKED_ENV[key];
    const check = variable === undefined ? {} : checkAnsibleVariable(variable, value);
    if (check.error) {
      throw new UsageError(`Environment variable ${key}=${value}: ${check.error}.`, { hint: `unset ${key}` });
    }
    if (check.warning) warnings.push(`environment variable ${key}: ${check.warning}`);
  }
  const env: Record<string, string> = { ...passed, ...defaults, ...fromSetup, ...fromUser };
  for (const key of Object.keys(SSH_ARG_ENV)) {
    const herd =
      key === 'ANSIBLE_SSH_ARGS'
        ? ansibleSshArgs({
            knownHostsPath: state.paths.knownHosts,
            proxyCommand: template.cluster.sshProxyCommand,
          })
        : [];
    const user = env[key];
    const sanitized = user === undefined ? { text: '' } : sanitizeSshArgsText(user);
    if ('error' in sanitized) throw new UsageError(`${key}: ${sanitized.error}.`);
    const value = [...herd.map(shellQuote), sanitized.text].filter((p) => p !== '').join(' ');
    if (value === '') delete env[key];
    else env[key] = value;
  }
  return {
    command: command ?? 'ansible-playbook',
    args: moved.args,
    env: { ...env, ...secretEnvFor(template).env },
    files: moved.files,
    warnings,
  };
}

const SSH_ARGS_FLAGS = new Set([
  '--ssh-common-args',
  '--ssh-extra-args',
  '--sftp-extra-args',
  '--scp-extra-args',
]);

/** Whether `args[i]` is the value of an ssh-arguments flag (`--ssh-common-args X` or `--ssh-common-args=X`). */
function isSshArgsFlagValue(args: readonly string[], i: number): boolean {
  const word = args[i]!;
  return (
    (i > 0 && SSH_ARGS_FLAGS.has(args[i - 1]!)) || [...SSH_ARGS_FLAGS].some((f) => word.startsWith(`${f}=`))
  );
}

/** The ssh arguments of such a flag without the options herd owns. */
function sanitizedOrSame(word: string): string {
  const eq = [...SSH_ARGS_FLAGS].find((f) => word.startsWith(`${f}=`));
  const value = eq ? word.slice(eq.length + 1) : word;
  const sanitized = sanitizeSshArgsText(value);
  if ('error' in sanitized) return word;
  return eq ? `${eq}=${sanitized.text}` : sanitized.text;
}
