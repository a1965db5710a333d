/**
 * Progress of long operations. On a TTY: listr2, one line per node (creating, running, SSH ok, failed:
 * reason), and a live view of Ansible runs (setup-progress.ts). Otherwise: one plain line per event,
 * which logs and CI read well. `--json`: nothing.
 */
import type { Progress } from '../cluster/deps.js';
import { createSetupDisplay, type SetupDisplay } from './setup-progress.js';

/** Picks the progress display for this invocation. */
export function createProgress(options: { json: boolean; verbosity: number; tty?: boolean }): Progress {
  if (options.json) return jsonProgress(options.verbosity);
  const tty = options.tty ?? (process.stderr.isTTY === true && process.stdout.isTTY === true);
  return tty ? new ListrProgress(options.verbosity) : new LineProgress(options.verbosity, process.stderr);
}

const PHASE_TEXT = {
  creating: 'creating',
  running: 'running, waiting for SSH',
  ready: 'SSH ok',
  failed: 'failed',
  removed: 'removed',
} as const;

/** Plain lines, one per event; each node phase is printed once. */
export class LineProgress implements Progress {
  private readonly last = new Map<string, string>();
  private display: SetupDisplay | undefined;
  constructor(
    private readonly verbosity: number,
    private readonly stream: NodeJS.WritableStream,
    private readonly tty = false,
  ) {}

  plan(nodes: readonly { name: string; kind: string }[]): void {
    if (nodes.length > 0) this.stream.write(`Nodes: ${nodes.map((n) => n.name).join(', ')}\n`);
  }

  node(name: string, phase: keyof typeof PHASE_TEXT, detail?: string): void {
    const text = `${PHASE_TEXT[phase]}${detail ? `: ${detail}` : ''}`;
    if (this.last.get(name) === text) return;
    this.last.set(name, text);
    this.stream.write(`${name}: ${text}\n`);
  }

  step(title: string, status: 'start' | 'done' | 'failed', detail?: string): void {
    if (status === 'start') {
      this.stream.write(`${title} ...\n`);
      // At -v Ansible's own output streams instead.
      if (this.verbosity === 0) {
        this.display = createSetupDisplay(title, {
          stream: this.stream,
          tty: this.tty,
          columns: (this.stream as { columns?: number }).columns || 100,
        });
      }
      return;
    }
    const summary = this.display?.finish();
    this.display = undefined;
    const word = status === 'done' ? 'done' : `failed${detail ? `: ${detail}` : ''}`;
    this.stream.write(`${title} ${word}${summary ? ` (${summary})` : ''}\n`);
  }

  output(line: string): void {
    if (this.verbosity >= 1) this.stream.write(`  ${line}\n`);
    else this.display?.line(line);
  }

  /** The task count for the bar (only drawn on a terminal; see ListrProgress.expectTasks). */
  setTaskCount(count: number): void {
    this.display?.expectTasks(count);
  }

  async close(): Promise<void> {}
}

/** Nothing on stdout (it carries the JSON document); Ansible output still goes to stderr at -v. */
function jsonProgress(verbosity: number): Progress {
  const lines = new LineProgress(verbosity, process.stderr);
  return {
    plan() {},
    node() {},
    step() {},
    output: (line) => lines.output(line),
    close: async () => {},
  };
}

interface NodeTask {
  title: string;
  attached: { title: string } | undefined;
  done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function nodeTask(title: string): NodeTask {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failure is shown by listr; never let it become an unhandled rejection.
  done.catch(() => undefined);
  return { title, attached: undefined, done, resolve, reject };
}

/** listr2 with one task per node whose title follows the node; steps and Ansible output print after it. */
export class ListrProgress implements Progress {
  private readonly tasks = new Map<string, NodeTask>();
  private run: Promise<unknown> | undefined;
  private readonly lines: LineProgress;

  constructor(verbosity: number) {
    this.lines = new LineProgress(verbosity, process.stderr, true);
  }

  plan(nodes: readonly { name: string; kind: string }[]): void {
    if (nodes.length === 0 || this.run) return;
    for (const n of nodes) this.tasks.set(n.name, nodeTask(`${n.name}: waiting`));
    const specs = nodes.map((n) => ({
      title: `${n.name}: waiting`,
      task: (_ctx: unknown, task: { title: string }) => {
        const t = this.tasks.get(n.name);
        if (!t) return Promise.resolve();
        t.attached = task;
        task.title = t.title;
        return t.done;
      },
    }));
    this.run = import('listr2').then(({ Listr }) =>
      new Listr(specs, {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        rendererOptions: { collapseErrors: false },
      })
        .run()
        .catch(() => undefined),
    );
  }

  node(name: string, phase: keyof typeof PHASE_TEXT, detail?: string): void {
    const task = this.tasks.get(name);
    if (!task) {
      this.lines.node(name, phase, detail);
      return;
    }
    task.title = `${name}: ${PHASE_TEXT[phase]}${detail && phase !== 'failed' ? ` (${detail})` : ''}`;
    if (task.attached) task.attached.title = task.title;
    if (phase === 'ready' || phase === 'removed') task.resolve();
    if (phase === 'failed') task.reject(new Error(detail ?? 'failed'));
  }

  step(title: string, status: 'start' | 'done' | 'failed', detail?: string): void {
    this.lines.step(title, status, detail);
  }

  output(line: string): void {
    this.lines.output(line);
  }

  expectTasks(count: number): void {
    this.lines.setTaskCount(count);
  }

  async close(): Promise<void> {
    for (const task of this.tasks.values()) task.resolve();
    this.tasks.clear();
    await this.run;
    this.run = undefined;
  }
}
