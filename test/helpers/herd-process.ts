/**
 * A herd run whose PID the test knows, so that the test can SIGKILL it at a chosen point: when a line
 * of its output matches, when a request arrives at a cloud double, or when its state file says so.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type CliResult, herdBin } from './cli.js';

/** A running herd process. */
export interface HerdProcess {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  readonly output: () => { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  readonly done: Promise<CliResult>;
  /** SIGKILLs the process (once); later calls do nothing. Returns whether this call killed it. */
  kill(): boolean;
  /** Whether `kill` was called. */
  readonly killed: () => boolean;
  /** SIGKILLs the process as soon as its stderr matches `pattern`. */
  killOnOutput(pattern: RegExp): void;
}

/** Every process spawnHerd started that has not exited yet. */
const live = new Set<HerdProcess>();

/** SIGKILLs every herd process a test started and that still runs (for afterAll/afterEach). */
export async function killSpawnedHerds(): Promise<void> {
  const running = [...live];
  for (const run of running) run.kill();
  await Promise.all(running.map((run) => run.done));
}

/**
 * Starts `herd ...args` with `env` added to this process's environment. It is SIGKILLed after
 * `timeoutMs` (default 10 minutes) at the latest, so a hung run never outlives the test.
 */
export function spawnHerd(
  args: readonly string[],
  env: Record<string, string | undefined>,
  timeoutMs = 600_000,
): HerdProcess {
  const child = spawn(process.execPath, [herdBin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let killed = false;
  const watchers: RegExp[] = [];
  const kill = () => {
    if (killed || child.exitCode !== null || child.signalCode !== null) return false;
    killed = true;
    child.kill('SIGKILL');
    return true;
  };
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
    if (watchers.some((w) => w.test(stderr))) kill();
  });
  const timer = setTimeout(kill, timeoutMs);
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(run);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  const run: HerdProcess = {
    child,
    output: () => ({ stdout, stderr }),
    done,
    kill,
    killed: () => killed,
    killOnOutput(pattern) {
      watchers.push(pattern);
      if (pattern.test(stderr)) kill();
    },
  };
  live.add(run);
  return run;
}

/** The parsed state file at `path`, or undefined while it does not exist (or is being replaced). */
export function readStateFile<T = { nodes: { name: string; state: string; instanceId?: string }[] }>(
  path: string,
): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
