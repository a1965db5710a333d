/**
 * OpenSSH options a user may pass to Ansible (`ansible_ssh_args`, `ANSIBLE_SSH_ARGS`,
 * `--ssh-common-args`, ...), and the ones herd keeps for itself. herd puts its own options first
 * (OpenSSH keeps the first value of an option), and drops a user's value of an option it owns, so
 * that no setting can turn host-key pinning off or share a connection between two nodes.
 */
import { splitShellWords } from './shell-words.js';

/**
 * Options herd sets on every connection, by lower-case name: the host-key pinning and the
 * connection sharing (control sockets are per node and per host key).
 */
const HERD_OWNED = new Map(
  [
    'StrictHostKeyChecking',
    'UserKnownHostsFile',
    'GlobalKnownHostsFile',
    'KnownHostsCommand',
    'HostKeyAlias',
    'CheckHostIP',
    'UpdateHostKeys',
    'VerifyHostKeyDNS',
    'ControlMaster',
    'ControlPath',
    'ControlPersist',
  ].map((name) => [name.toLowerCase(), name]),
);

/** The same names as a pattern, to find them in text herd cannot parse as ssh arguments (YAML). */
const HERD_OWNED_TEXT = new RegExp(`\\b(${[...HERD_OWNED.values()].join('|')})\\b`, 'i');

/** The option name of a `-o` value (`Name=value` or `Name value`), as OpenSSH reads it. */
function optionName(value: string): string {
  return value.trim().split(/[=\s]/, 1)[0]!;
}

/** ssh arguments without the options herd owns, and the names of those it dropped. */
export interface SanitizedSshArgs {
  args: string[];
  ignored: string[];
}

/** Drops every `-o NAME=...` / `-oNAME=...` whose NAME herd owns; keeps everything else in order. */
export function withoutHerdOwnedOptions(words: readonly string[]): SanitizedSshArgs {
  const args: string[] = [];
  const ignored: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const value = word === '-o' ? words[i + 1] : word.startsWith('-o') ? word.slice(2) : undefined;
    const owned = value === undefined ? undefined : HERD_OWNED.get(optionName(value).toLowerCase());
    if (owned === undefined) {
      args.push(word);
      continue;
    }
    if (!ignored.includes(owned)) ignored.push(owned);
    if (word === '-o') i++;
  }
  return { args, ignored };
}

/**
 * The same for a setting's text (split like a shell, as Ansible's shlex does); the result is
 * quoted back for Ansible. An unclosed quote is returned as an error message.
 */
export function sanitizeSshArgsText(text: string): { text: string; ignored: string[] } | { error: string } {
  const words = splitShellWords(text);
  if (typeof words === 'string') return { error: words };
  const { args, ignored } = withoutHerdOwnedOptions(words);
  return { text: args.map(shellQuote).join(' '), ignored };
}

/** The first option herd owns that `text` names anywhere (for YAML and JSON herd does not rewrite). */
export function mentionedHerdOption(text: string): string | undefined {
  const match = HERD_OWNED_TEXT.exec(text);
  return match ? HERD_OWNED.get(match[1]!.toLowerCase()) : undefined;
}

/** Why herd drops these options, for warnings. */
export function ignoredOptionsReason(ignored: readonly string[]): string {
  return `${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} ignored: herd checks each node's pinned host key (StrictHostKeyChecking=yes with the cluster's known_hosts, looked up by node name) and shares connections only per node; remove ${ignored.length === 1 ? 'it' : 'them'}`;
}

/** Quotes a word for POSIX shell / Python shlex parsing; plain words stay unquoted. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}
