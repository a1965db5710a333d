/** Runs the built herd CLI (bin/herd -> dist/) as a user would, in a temp HOME. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
 * after `timeoutMs`; resolves with the signal that ended it. `arm` hooks a test double, e.g. a fake
 * cloud's request hook, so that the crash lands at a chosen request.
 */
export async function runHerdUntilKilled(
  args: readonly string[],
  options: {
    env: Record<string, string | undefined>;
    arm: (kill: () => void) => void;
    timeoutMs?: number;
  },
): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [herdBin, ...args], {
    env: { ...process.env, ...options.env },
    stdio: 'ignore',
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
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
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
