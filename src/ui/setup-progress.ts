/**
 * What a long Ansible run shows while it goes. On a terminal: a live block with a bar of tasks done,
 * the elapsed time, the current play and task, and the task's hosts done/changed plus hosts failed so
 * far; a host that fails is printed above the block at once. Off a terminal: one line per play as it
 * ends, and failures as they happen.
 */
import {
  type AnsibleEvent,
  AnsibleProgressTracker,
  type AnsibleSnapshot,
  type PlaySummary,
} from '../setup/ansible-progress.js';

/** One Ansible run's display. */
export interface SetupDisplay {
  /** A line of Ansible output. */
  line(raw: string): void;
  /** The number of tasks `--list-tasks` counted, for the bar. */
  expectTasks(count: number): void;
  /** Ends the display; returns what the final line should add (tasks run, time taken), '' without output. */
  finish(): string;
}

/** Where and how to draw. */
export interface SetupDisplayOptions {
  stream: NodeJS.WritableStream;
  tty: boolean;
  /** Terminal width (lines are cut to it, so the block can be redrawn in place). */
  columns?: number;
  now?: () => number;
  /** Redraw the elapsed time this often on a terminal (ms; 0 = only on output). */
  tickMs?: number;
}

/** Creates the display of a run titled `title` (e.g. "Configure 3 node(s) with Ansible"). */
export function createSetupDisplay(title: string, options: SetupDisplayOptions): SetupDisplay {
  const now = options.now ?? Date.now;
  const started = now();
  const tracker = new AnsibleProgressTracker(now);
  const width = Math.max(40, options.columns ?? 100);
  let expected: number | undefined;
  let drawn = 0;
  let lastDraw = 0;
  // Steps without Ansible output (terminating nodes) show nothing.
  let seen = false;

  const erase = () => {
    if (drawn > 0) options.stream.write(`\x1b[${drawn}A\r\x1b[J`);
    drawn = 0;
  };
  const draw = (force = false) => {
    if (!options.tty || !seen) return;
    const t = now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    const block = renderLiveBlock(title, tracker.snapshot, expected, t - started).map((l) =>
      cut(l, width - 1),
    );
    erase();
    options.stream.write(`${block.join('\n')}\n`);
    drawn = block.length;
  };
  const print = (text: string) => {
    erase();
    options.stream.write(`${text}\n`);
    draw(true);
  };
  const timer =
    options.tty && (options.tickMs ?? 1000) > 0
      ? setInterval(() => draw(true), options.tickMs ?? 1000)
      : undefined;
  timer?.unref();

  const handle = (events: AnsibleEvent[]) => {
    for (const event of events) {
      if (event.type === 'failure') print(`  ${renderFailure(event)}`);
      else if (event.type === 'play-done' && !options.tty) print(`  ${renderPlayDone(event.summary)}`);
    }
  };

  return {
    line(raw) {
      seen = true;
      const events = tracker.push(raw);
      handle(events);
      draw(events.length > 0);
    },
    expectTasks(count) {
      expected = count;
      draw(true);
    },
    finish() {
      handle(tracker.flush());
      clearInterval(timer);
      erase();
      if (!seen) return '';
      return `${tracker.snapshot.tasksStarted} task(s) in ${formatElapsed(now() - started)}`;
    },
  };
}

/** The live block: title with bar and time, the play, the task with its hosts. */
export function renderLiveBlock(
  title: string,
  s: AnsibleSnapshot,
  expected: number | undefined,
  elapsedMs: number,
): string[] {
  // The estimate may fall short (dynamic includes): then the bar stops just short of full.
  const over = expected !== undefined && s.tasksStarted > expected;
  const bar =
    expected === undefined
      ? `${s.tasksStarted} task(s)`
      : over
        ? `${renderBar(19, 20, 20)} ${s.tasksStarted}/${expected}+ tasks`
        : `${renderBar(s.tasksStarted, expected, 20)} ${s.tasksStarted}/${expected} tasks`;
  const lines = [`${title}  ${bar}  ${formatElapsed(elapsedMs)}`];
  if (s.play !== undefined) lines.push(`  play ${s.playIndex}: ${s.play}`);
  if (s.task !== undefined) {
    const failed =
      s.failedHosts.length === 0
        ? '0 failed'
        : `${s.failedHosts.length} failed (${s.failedHosts.join(', ')})`;
    lines.push(
      `  task ${s.task}: ${s.taskDone}/${s.taskHosts} host(s) done, ${s.taskChanged} changed, ${failed}`,
    );
  }
  return lines;
}

/** `[#######-------------]`. */
export function renderBar(done: number, total: number, width: number): string {
  const filled = total <= 0 ? 0 : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** Off a terminal: one line per play. */
export function renderPlayDone(p: PlaySummary): string {
  const failed = p.failed.length === 0 ? '0 failed' : `failed on ${p.failed.join(', ')}`;
  return `play ${p.index} "${p.name}": ${p.tasks} task(s) on ${p.hosts} host(s), ${p.changed} changed, ${failed} (${formatElapsed(p.durationMs)})`;
}

/** A failing host, printed as soon as it is known. */
export function renderFailure(f: Extract<AnsibleEvent, { type: 'failure' }>): string {
  return `FAILED ${f.host}${f.unreachable ? ' (unreachable)' : ''} in task "${f.task}": ${f.message}`;
}

/** `0:07`, `2:31`, `1:02:03`. */
export function formatElapsed(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function cut(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, width - 3)}...`;
}
