/**
 * Ansible settings that would undo herd's host-key pinning: ssh options in `ansible_ssh_args` and
 * friends (dropped, with a warning), `ansible_host_key_checking=no` (no effect, with a warning),
 * another connection plugin, or extra vars that replace the ssh arguments (refused). Used on the
 * config (`ansible_*` keys, `global_var_*` / `<kind>_var_*` variables, `ansible_extra_args`) and
 * on the arguments given after `--` to `herd setup`.
 */
import { ignoredOptionsReason, mentionedHerdOption, sanitizeSshArgsText } from './ssh-options.js';

/** Ansible variables that hold ssh arguments (each also has an ANSIBLE_<NAME> environment variable). */
export const SSH_ARG_VARIABLES = [
  'ansible_ssh_args',
  'ansible_ssh_common_args',
  'ansible_ssh_extra_args',
  'ansible_sftp_extra_args',
  'ansible_scp_extra_args',
] as const;

const HOST_KEY_CHECKING = ['ansible_host_key_checking', 'ansible_ssh_host_key_checking'];
const CONNECTION = ['ansible_connection', 'ansible_transport'];
const PINNING_CONNECTIONS = new Set(['ssh', 'smart']);
const FALSE = /^(no|false|off|0)$/i;

/** ansible-playbook flags whose value is ssh arguments. */
const SSH_ARG_FLAGS = ['--ssh-common-args', '--ssh-extra-args', '--sftp-extra-args', '--scp-extra-args'];

/** What a check found: warnings to show, or an error (the setting cannot be made safe). */
export interface AnsibleCheck {
  warning?: string;
  error?: string;
}

/** Checks one Ansible variable (`ansible_*` key of the setup, or the name of a `*_var_*` variable). */
export function checkAnsibleVariable(name: string, value: string): AnsibleCheck {
  const variable = name.toLowerCase();
  if ((SSH_ARG_VARIABLES as readonly string[]).includes(variable)) {
    const sanitized = sanitizeSshArgsText(value);
    if ('error' in sanitized) return { error: `${sanitized.error} (ssh arguments are split like a shell)` };
    return sanitized.ignored.length > 0 ? { warning: ignoredOptionsReason(sanitized.ignored) } : {};
  }
  if (HOST_KEY_CHECKING.includes(variable) && FALSE.test(value.trim())) {
    return {
      warning:
        "has no effect: herd always checks each node's pinned host key (StrictHostKeyChecking=yes comes first); remove it",
    };
  }
  if (CONNECTION.includes(variable) && !PINNING_CONNECTIONS.has(value.trim())) {
    return {
      error: `connection "${value.trim()}" is not supported: herd runs Ansible over OpenSSH (ssh), which checks each node's pinned host key; remove it`,
    };
  }
  return {};
}

/** The value of flag `long`/`short` at `words[i]` (`-e V`, `-eV`, `--extra-vars V`, `--extra-vars=V`). */
export function flagValue(
  words: readonly string[],
  i: number,
  long: string,
  short: string,
): { value: string; next: number } | undefined {
  const word = words[i]!;
  if ((word === long || word === short) && i + 1 < words.length) return { value: words[i + 1]!, next: i + 2 };
  if (word.startsWith(`${long}=`)) return { value: word.slice(long.length + 1), next: i + 1 };
  if (word.startsWith(short) && word.length > short.length && !word.startsWith('--')) {
    return { value: word.slice(short.length), next: i + 1 };
  }
  return undefined;
}

/**
 * Checks ansible-playbook arguments (`ansible_extra_args`, `ansible_command`, `herd setup -- ...`).
 * Extra vars given inline may not set ssh arguments nor name an option herd owns (herd cannot
 * rewrite them, and they take precedence over everything), nor pick another connection. Messages
 * never quote extra vars: they may hold secrets.
 */
export function checkAnsibleArgs(words: readonly string[]): { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  let extraVarsSeen = 0;
  for (let i = 0; i < words.length; ) {
    const word = words[i]!;
    const sshFlag = SSH_ARG_FLAGS.find((f) => word === f || word.startsWith(`${f}=`));
    const ssh = sshFlag ? flagValue(words, i, sshFlag, sshFlag) : undefined;
    if (sshFlag && ssh) {
      const sanitized = sanitizeSshArgsText(ssh.value);
      if ('error' in sanitized) errors.push(`${sshFlag}: ${sanitized.error}`);
      else if (sanitized.ignored.length > 0)
        warnings.push(`${sshFlag}: ${ignoredOptionsReason(sanitized.ignored)}`);
      i = ssh.next;
      continue;
    }
    const connection = flagValue(words, i, '--connection', '-c');
    if (connection) {
      if (!PINNING_CONNECTIONS.has(connection.value)) {
        errors.push(
          `--connection ${connection.value}: herd runs Ansible over OpenSSH (ssh) only, which checks each node's pinned host key; remove it`,
        );
      }
      i = connection.next;
      continue;
    }
    const extra = flagValue(words, i, '--extra-vars', '-e');
    if (extra) {
      extraVarsSeen += 1;
      const problem = extra.value.startsWith('@') ? undefined : extraVarsProblem(extra.value);
      if (problem) errors.push(`extra vars (-e/--extra-vars number ${extraVarsSeen}) ${problem}`);
      i = extra.next;
      continue;
    }
    i += 1;
  }
  return { warnings, errors };
}

/** Why extra vars (inline text or the contents of an `@file`) would undo the pinning, or undefined. */
export function extraVarsProblem(text: string): string | undefined {
  if (/\bansible_ssh_args\b/.test(text)) {
    return "sets ansible_ssh_args, which would replace herd's host-key pinning (extra vars win over everything); set ansible_ssh_args in the [setup/NAME] section instead";
  }
  const owned = mentionedHerdOption(text);
  if (owned) return `names the ssh option ${owned}, which herd sets itself to pin host keys; remove it`;
  const connection = /\bansible_(?:connection|transport)\b["']?\s*[:=]\s*["']?([A-Za-z0-9_.-]+)/.exec(text);
  if (connection && !PINNING_CONNECTIONS.has(connection[1]!)) {
    return `selects the ${connection[1]} connection, which skips the host keys herd pinned; herd runs Ansible over OpenSSH (ssh) only`;
  }
  return undefined;
}
