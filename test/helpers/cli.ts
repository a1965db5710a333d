/** Runs the built herd CLI (bin/herd -> dist/) as a user would, in a temp HOME. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const herdBin = join(repoRoot, 'bin', 'herd');

/** Result of one herd run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `herd ...args`; never rejects on a non-zero exit. */
export function runHerd(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [herdBin, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A temp directory; call the returned cleanup in afterEach/onTestFinished. */
export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** True when text contains a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]\d+/m.test(text);
}

/**
 * Runs `herd ...args` and SIGKILLs it (by PID) when `arm` calls the kill function it is given, or
 * after `timeoutMs`; resolves with the signal that ended it (null when herd exited by itself, with
 * its exit code) and what it wrote to stderr, so that a test whose kill never landed shows why.
 * `arm` hooks a test double, e.g. a fake cloud's request hook, so that the crash lands at a chosen request.
 */
export async function runHerdUntilKilled(
  args: readonly string[],
  options: {
    env: Record<string, string | undefined>;
    arm: (kill: () => void) => void;
    timeoutMs?: number;
  },
): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [herdBin, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const ended = new Promise((resolve) => child.stderr.on('close', resolve));
  const exited = new Promise<{ signal: NodeJS.Signals | null; code: number | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ signal, code })),
  );
  const kill = () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  };
  let killed = false;
  options.arm(() => {
    if (killed) return;
    killed = true;
    kill();
  });
  const timer = setTimeout(kill, options.timeoutMs ?? 60_000);
  try {
    const result = await exited;
    // The last of stderr, unless a process herd started (and did not end) still holds the pipe.
    const wait = new AbortController();
    await Promise.race([ended, delay(1000, undefined, { signal: wait.signal }).catch(() => undefined)]);
    wait.abort();
    return { ...result, stderr };
  } finally {
    clearTimeout(timer);
  }
}
