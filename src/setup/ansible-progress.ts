/**
 * Follows ansible-playbook's default output as it streams, for the progress display: the current play
 * and task, which hosts finished the task (changed or not), which failed (reported as soon as it is
 * known not to be ignored), and how many tasks ran, to set against the count `--list-tasks` gives.
 */
import { ANSI, FATAL, hostOf, ITEM_FAILED, messageOf, RESULT, TASK } from './ansible-output.js';

/** Something the display shows at once. */
export type AnsibleEvent =
  | { type: 'play'; name: string; index: number }
  /** The previous play ended (a new one began, or the recap came): its totals. */
  | { type: 'play-done'; summary: PlaySummary }
  | { type: 'task'; name: string }
  | { type: 'failure'; host: string; task: string; message: string; unreachable: boolean };

/** What one play did. */
export interface PlaySummary {
  index: number;
  name: string;
  tasks: number;
  hosts: number;
  /** Results that changed something (a loop counts each item). */
  changed: number;
  /** Hosts that failed in this play. */
  failed: string[];
  durationMs: number;
}

/** The state the live display draws. */
export interface AnsibleSnapshot {
  play: string | undefined;
  playIndex: number;
  task: string | undefined;
  /** Tasks started, Gathering Facts not counted (`--list-tasks` does not list it). */
  tasksStarted: number;
  /**
   * Hosts the current task runs on, as far as known: those of the play once its first task is over,
   * before that those seen so far in the run; undefined at the very start.
   */
  taskHosts: number | undefined;
  /** Hosts that reported a result for the current task. */
  taskDone: number;
  taskChanged: number;
  /** Hosts that failed anywhere in the run. */
  failedHosts: string[];
}

const PLAY = /^PLAY \[(.*)\] \**$/;
const CHANGED = /^changed: \[([^\]]+)\]/;

/** Tracks one run; feed every output line to `push`. */
export class AnsibleProgressTracker {
  private play: PlaySummary | undefined;
  private playStarted = 0;
  private playHosts = new Set<string>();
  private readonly runHosts = new Set<string>();
  /** Hosts seen in the run before the current task began. */
  private hostsBefore = 0;
  /** The play's first task is over: playHosts holds every host of the play. */
  private playKnown = false;
  private task: string | undefined;
  private tasksStarted = 0;
  private taskDone = new Set<string>();
  private taskChanged = new Set<string>();
  private readonly failed = new Set<string>();
  /** A failure waits for the next line, which may say `...ignoring`. */
  private pending: Extract<AnsibleEvent, { type: 'failure' }> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  push(raw: string): AnsibleEvent[] {
    const line = raw.replace(ANSI, '').trimEnd();
    if (line === '') return [];
    const events: AnsibleEvent[] = [];
    if (this.pending) {
      if (line === '...ignoring') {
        this.pending = undefined;
        return [];
      }
      events.push(this.commitFailure());
    }
    const play = PLAY.exec(line);
    if (play || line.startsWith('PLAY RECAP')) {
      if (this.play) events.push({ type: 'play-done', summary: this.endPlay() });
      if (play) {
        const index = (this.play?.index ?? 0) + 1;
        this.play = { index, name: play[1]!, tasks: 0, hosts: 0, changed: 0, failed: [], durationMs: 0 };
        this.playStarted = this.now();
        this.playHosts = new Set();
        this.playKnown = false;
        this.task = undefined;
        events.push({ type: 'play', name: play[1]!, index });
      } else {
        this.play = undefined;
        this.task = undefined;
      }
      return events;
    }
    const task = TASK.exec(line);
    if (task) {
      if (this.task !== undefined) this.playKnown = true;
      this.hostsBefore = this.runHosts.size;
      this.task = task[1]!;
      this.taskDone = new Set();
      this.taskChanged = new Set();
      if (this.play) this.play.tasks++;
      if (this.task !== 'Gathering Facts') this.tasksStarted++;
      events.push({ type: 'task', name: this.task });
      return events;
    }
    const fatal = FATAL.exec(line);
    if (fatal) {
      const host = hostOf(fatal[1]!);
      this.seen(host);
      this.pending = {
        type: 'failure',
        host,
        task: this.task ?? '',
        message: messageOf(fatal[3]!),
        unreachable: fatal[2] === 'UNREACHABLE',
      };
      return events;
    }
    const item = ITEM_FAILED.exec(line);
    if (item) {
      // The task's own `fatal:` line follows the items; that one decides.
      this.seen(hostOf(item[1]!));
      return events;
    }
    const result = RESULT.exec(line);
    if (result) {
      const host = hostOf(result[1]!);
      this.seen(host);
      if (CHANGED.test(line)) {
        this.taskChanged.add(host);
        if (this.play) this.play.changed++;
      }
    }
    return events;
  }

  /** Reports a failure still waiting for its next line (the output ended). */
  flush(): AnsibleEvent[] {
    return this.pending ? [this.commitFailure()] : [];
  }

  get snapshot(): AnsibleSnapshot {
    return {
      play: this.play?.name,
      playIndex: this.play?.index ?? 0,
      task: this.task,
      tasksStarted: this.tasksStarted,
      taskHosts: this.playKnown
        ? this.playHosts.size
        : this.hostsBefore > 0
          ? Math.max(this.hostsBefore, this.taskDone.size)
          : undefined,
      taskDone: this.taskDone.size,
      taskChanged: this.taskChanged.size,
      failedHosts: [...this.failed],
    };
  }

  private seen(host: string): void {
    this.playHosts.add(host);
    this.runHosts.add(host);
    this.taskDone.add(host);
  }

  private commitFailure(): AnsibleEvent {
    const failure = this.pending!;
    this.pending = undefined;
    this.failed.add(failure.host);
    if (this.play && !this.play.failed.includes(failure.host)) this.play.failed.push(failure.host);
    return failure;
  }

  private endPlay(): PlaySummary {
    return { ...this.play!, hosts: this.playHosts.size, durationMs: this.now() - this.playStarted };
  }
}

/** Plays and tasks in `ansible-playbook --list-tasks` output. */
export function parseTaskList(text: string): { plays: number; tasks: number } {
  let plays = 0;
  let tasks = 0;
  for (const line of text.split('\n')) {
    if (/^\s+play #\d+/.test(line)) plays++;
    else if (/\tTAGS: \[/.test(line)) tasks++;
  }
  return { plays, tasks };
}
