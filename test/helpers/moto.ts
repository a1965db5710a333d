/**
 * A real EC2 API server for tests: moto_server on a free loopback port, started per test file and
 * stopped by its PID. moto is preinstalled on this machine kind (pyenv Python); CI fails loudly
 * when it is missing (see scripts/install-deps.sh) rather than skipping the EC2 tests.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A running moto_server. */
export interface MotoServer {
  /** `http://127.0.0.1:PORT`: the value for `ec2_url`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Path of moto_server, or undefined when it is not installed. */
export function findMotoServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/**
 * Starts moto_server on 127.0.0.1 and waits until it answers. `env` adds variables, e.g.
 * `MOTO_ENABLE_AMI_VALIDATION=1` so that unknown AMIs are refused as AWS refuses them.
 */
export async function startMoto(options: { env?: Record<string, string> } = {}): Promise<MotoServer> {
  const bin = findMotoServer();
  if (!bin) throw new Error('moto_server is not installed (scripts/install-deps.sh checks for it)');
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`${url}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${url} within 30 s: ${stderr}`);
    }
    await sleep(200);
  }
  return {
    url,
    port,
    pid: child.pid!,
    async reset() {
      const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop,
  };
}
