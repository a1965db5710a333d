/** Runs the built herd CLI (bin/herd -> dist/) as a user would, in a temp HOME. */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

/**
 * Runs `herd ...args`; never rejects on a non-zero exit. `bin` is another herd's bin/herd (default this
 * checkout's); `prefix` a command that runs it (e.g. setpriv as another user).
 */
export function runHerd(
  args: readonly string[],
  options: {
    env?: Record<string, string | undefined>;
    input?: string;
    timeoutMs?: number;
    bin?: string;
    prefix?: readonly string[];
  } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const [command, ...argv] = [...(options.prefix ?? []), process.execPath, options.bin ?? herdBin, ...args];
    const child = spawn(command!, argv, {
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

/** One herd install in a test: a HOME with a config file (0600) and a storage directory (0700). */
export interface HerdInstall {
  dir: string;
  configFile: string;
  storage: string;
  /** HOME, HERD_CONFIG and HERD_STORAGE, plus what the test added (cloud credentials, ...). */
  env: Record<string, string | undefined>;
  /** Runs `herd ...args` in this install (killed after `timeoutMs`, default 2 minutes). */
  herd(args: readonly string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /** The state file of cluster `name`. */
  stateFile(name: string): string;
  /** The id saved in cluster `name`'s state file. */
  savedId(name: string): Promise<string>;
}

/**
 * Makes `dir` a herd install with `configText` as its config. `env` adds to (or, with undefined, removes
 * from) the environment herd runs in, e.g. a cloud's test credentials (EC2_TEST_ENV, GCE_TEST_ENV).
 */
export async function herdInstall(
  dir: string,
  configText: string,
  env: Record<string, string | undefined> = {},
): Promise<HerdInstall> {
  const configFile = join(dir, 'config');
  const storage = join(dir, 'storage');
  await mkdir(storage, { recursive: true, mode: 0o700 });
  await writeFile(configFile, configText, { mode: 0o600 });
  const installEnv = { HOME: dir, HERD_CONFIG: configFile, HERD_STORAGE: storage, ...env };
  const stateFile = (name: string) => join(storage, `${name}.json`);
  return {
    dir,
    configFile,
    storage,
    env: installEnv,
    herd: (args, options = {}) => runHerd(args, { env: installEnv, timeoutMs: options.timeoutMs ?? 120_000 }),
    stateFile,
    savedId: async (name) => (JSON.parse(await readFile(stateFile(name), 'utf8')) as { id: string }).id,
  };
}

/** Never ask an instance metadata service for AWS credentials from a test (moto takes any key). */
export const EC2_TEST_ENV: Readonly<Record<string, string>> = { AWS_EC2_METADATA_DISABLED: 'true' };

/** The fake GCE's token, and none of the machine's own Google credentials or metadata server. */
export const GCE_TEST_ENV: Readonly<Record<string, string | undefined>> = {
  GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token',
  GOOGLE_APPLICATION_CREDENTIALS: undefined,
  CLOUDSDK_CONFIG: undefined,
  METADATA_SERVER_DETECTION: 'none',
};

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
