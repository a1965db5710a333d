/** Which Ansible herd would run: `ansible-playbook --version` (or the setup's ansible_command). */
import { execa } from 'execa';
import { splitShellWords } from '../config/shell-words.js';

/** The version line, or why the command does not run. */
export type AnsibleVersion = { ok: true; version: string; line: string } | { ok: false; reason: string };

/** Runs `<command> --version`; `command` is ansible_command as written (default ansible-playbook). */
export async function ansibleVersion(command = 'ansible-playbook'): Promise<AnsibleVersion> {
  const words = splitShellWords(command);
  if (typeof words === 'string') return { ok: false, reason: `ansible_command "${command}": ${words}` };
  const [program, ...args] = words;
  const result = await execa(program ?? 'ansible-playbook', [...args, '--version'], {
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
  });
  if (result.failed) {
    const reason =
      (result as { code?: string }).code === 'ENOENT'
        ? `${program} was not found`
        : `${program} --version failed: ${String(result.stderr || result.shortMessage).split('\n')[0]}`;
    return { ok: false, reason };
  }
  const line = String(result.stdout).split('\n')[0]!.trim();
  const version = /\[core ([^\]]+)\]/.exec(line)?.[1] ?? /(\d+\.\d+[.\d]*)/.exec(line)?.[1] ?? line;
  return { ok: true, version, line };
}
