/**
 * Reads the output of Ansible's default stdout callback line by line and keeps what a failure
 * report needs: which task failed on which host and why, the PLAY RECAP counts, and `ERROR!`
 * lines. Failures that a later result of the same host shows to be ignored or rescued are dropped.
 */

/** One failed task on one host. */
export interface TaskFailure {
  host: string;
  /** Task name as Ansible prints it, e.g. `slurm : Start slurmd`. */
  task: string;
  /** Loop item, for failures inside a loop. */
  item?: string;
  unreachable: boolean;
  /** Ansible's `msg`, plus the first stderr line when there is one. */
  message: string;
}

/** One host's PLAY RECAP line. */
export interface RecapEntry {
  host: string;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
}

/** What the parser found. */
export interface AnsibleOutputSummary {
  failures: TaskFailure[];
  recap: RecapEntry[];
  /** `ERROR! ...` lines (syntax errors, missing files, bad options). */
  errors: string[];
  /** The last lines of output, for failures the parser does not recognise. */
  tail: string[];
}

/** A line-by-line parser; feed every output line to `push`, then read `summary()`. */
export interface AnsibleOutputParser {
  push(line: string): void;
  summary(): AnsibleOutputSummary;
}

/** Lines of the default callback (shared with the progress tracker, ansible-progress.ts). */
export const ANSI = /\x1b\[[0-9;]*m/g;
export const TASK = /^(?:TASK|RUNNING HANDLER) \[(.*)\] \**$/;
export const FATAL = /^fatal: \[([^\]]+)\]: (FAILED|UNREACHABLE)! => (.*)$/;
export const ITEM_FAILED = /^failed: \[([^\]]+)\] \(item=(.*)\) => (.*)$/;
export const RESULT = /^(?:ok|changed|skipping|included): \[([^\]]+)\]/;
const RECAP = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/;
const TAIL_LINES = 20;

/** Creates a parser for one ansible-playbook run. */
export function createAnsibleOutputParser(): AnsibleOutputParser {
  let task = '';
  let taskIndex = 0;
  let inRecap = false;
  const pending: (TaskFailure & { taskIndex: number })[] = [];
  const recap: RecapEntry[] = [];
  const errors: string[] = [];
  const tail: string[] = [];

  return {
    push(raw) {
      const line = raw.replace(ANSI, '').trimEnd();
      if (line !== '') {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
      const taskHeader = TASK.exec(line);
      if (taskHeader) {
        task = taskHeader[1]!;
        taskIndex++;
        return;
      }
      if (line.startsWith('PLAY RECAP')) {
        inRecap = true;
        return;
      }
      const recapLine = inRecap ? RECAP.exec(line) : null;
      if (recapLine) {
        recap.push(recapEntryOf(recapLine));
        return;
      }
      const failure = failureOf(line, task);
      if (failure) {
        pending.push({ ...failure, taskIndex });
        return;
      }
      if (line === '...ignoring') {
        pending.pop();
        return;
      }
      const okResult = RESULT.exec(line);
      if (okResult) {
        // A host that goes on to later tasks had its earlier failure rescued.
        const host = hostOf(okResult[1]!);
        for (let i = pending.length - 1; i >= 0; i--) {
          if (pending[i]!.host === host && pending[i]!.taskIndex < taskIndex) pending.splice(i, 1);
        }
        return;
      }
      if (line.startsWith('ERROR! ')) errors.push(line.slice('ERROR! '.length));
    },
    summary() {
      const failures = pending.map(({ taskIndex: _, ...failure }) => failure);
      return { failures, recap: [...recap], errors: [...errors], tail: [...tail] };
    },
  };
}

function recapEntryOf(match: RegExpExecArray): RecapEntry {
  const [, host, ok, changed, unreachable, failed] = match;
  return {
    host: host!,
    ok: Number(ok),
    changed: Number(changed),
    unreachable: Number(unreachable),
    failed: Number(failed),
  };
}

/** A `fatal:` line (failed or unreachable) or a `failed:` line of a loop item, as a failure of `task`. */
function failureOf(line: string, task: string): TaskFailure | undefined {
  const fatal = FATAL.exec(line);
  if (fatal) {
    const [, host, kind, json] = fatal;
    return { host: hostOf(host!), task, unreachable: kind === 'UNREACHABLE', message: messageOf(json!) };
  }
  const itemFailed = ITEM_FAILED.exec(line);
  if (itemFailed) {
    const [, host, item, json] = itemFailed;
    return { host: hostOf(host!), task, item: item!, unreachable: false, message: messageOf(json!) };
  }
  return undefined;
}

/** Hosts with failed or unreachable tasks: from the recap when there is one, else from the failures. */
export function failedHostsOf(summary: AnsibleOutputSummary): string[] {
  const hosts =
    summary.recap.length > 0
      ? summary.recap.filter((r) => r.failed > 0 || r.unreachable > 0).map((r) => r.host)
      : summary.failures.map((f) => f.host);
  return [...new Set(hosts)].sort();
}

/** `alpha -> localhost` (delegation) names the inventory host first. */
export function hostOf(text: string): string {
  return text.split(' -> ')[0]!.trim();
}

/** Ansible's msg from a one-line JSON result, with the first stderr line when it adds something. */
export function messageOf(json: string): string {
  try {
    const result = JSON.parse(json) as { msg?: unknown; stderr?: unknown; reason?: unknown };
    const msg =
      typeof result.msg === 'string' ? result.msg : typeof result.reason === 'string' ? result.reason : '';
    const stderr = typeof result.stderr === 'string' ? result.stderr.trim().split('\n')[0]! : '';
    const text = stderr && !msg.includes(stderr) ? `${msg}: ${stderr}` : msg;
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(text)) {
      return 'host key changed: the node presented an SSH host key other than the one herd pinned, so ssh refused it';
    }
    return truncate((text || json).replace(/\s*\n\s*/g, ' '));
  } catch {
    // Another result format (yaml) or a multi-line result: keep what is on the line.
    return truncate(json);
  }
}

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
