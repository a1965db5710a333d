/**
 * SSH probing with ssh2: is a node reachable, does it accept our key, and which host key does it
 * present? A probe authenticates and runs `true`, so "ready" means a login shell works, not just
 * that port 22 is open (cloud images open sshd before cloud-init has installed the user's key).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import { formatHostKey, parseHostKey, sameHostKey } from './known-hosts.js';
import { expandProxyCommand } from './openssh.js';

/** Why a probe failed, for callers that react differently (stop retrying on `HostKeyChanged`). */
export type ProbeFailureCode =
  | 'HostKeyChanged'
  | 'AuthFailed'
  | 'CommandFailed'
  | 'Timeout'
  | 'Unreachable'
  | 'NoAddress'
  | 'KeyInvalid'
  | 'Aborted'
  /** The node itself is gone (its provider says it died): waiting cannot help. */
  | 'NodeGone';

/** Outcome of probing one node. */
export type ProbeResult =
  | { ok: true; ip: string; hostKey: string }
  | { ok: false; reason: string; code: ProbeFailureCode };

/** Connection settings shared by every node of a cluster. */
export interface ProbeConnection {
  /** Remote user (`image_user`). */
  user: string;
  /** Private key text (OpenSSH or PEM format, unencrypted). */
  privateKey: Buffer | string;
  /** SSH port, default 22. */
  port?: number;
  /** Time one probe of one IP may take, handshake to exit of `true`. */
  timeoutMs: number;
  /** Stops every probe in flight. */
  signal?: AbortSignal | undefined;
  /**
   * `ssh_proxy_command` (`%h %p %r` not yet expanded): each probe connects through its stdin and
   * stdout, as OpenSSH's ProxyCommand does, so nodes behind a bastion are probed the same way that
   * `herd ssh` and Ansible reach them later.
   */
  proxyCommand?: string | undefined;
}

/** Options of {@link probeNode}. */
export interface ProbeNodeOptions extends ProbeConnection {
  /** Every IP of the node, preferred first; the first in this order that answers wins. */
  ips: readonly string[];
  /** The node's pinned host key (`<type> <base64>`); a different key is refused. */
  pinnedHostKey?: string | undefined;
}

// Rank of failure codes when a node's IPs fail differently: the most telling reason is reported.
const FAILURE_RANK: readonly ProbeFailureCode[] = [
  'HostKeyChanged',
  'KeyInvalid',
  'AuthFailed',
  'CommandFailed',
  'Timeout',
  'Unreachable',
  'NoAddress',
  'Aborted',
];

/**
 * Probes every IP of a node at once and returns the first IP in list order that answers, so the
 * preferred address does not depend on which network happens to be faster.
 */
export async function probeNode(options: ProbeNodeOptions): Promise<ProbeResult> {
  if (options.ips.length === 0) return fail('NoAddress', 'the node has no IP address yet');
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const attempts = options.ips.map((ip) => probeAddress(ip, { ...options, signal: controller.signal }));
    const failures: { ip: string; result: Extract<ProbeResult, { ok: false }> }[] = [];
    for (const [index, attempt] of attempts.entries()) {
      const result = await attempt;
      if (result.ok) return result;
      failures.push({ ip: options.ips[index]!, result });
    }
    if (options.signal?.aborted) return fail('Aborted', 'interrupted');
    const code = FAILURE_RANK.find((c) => failures.some((f) => f.result.code === c)) ?? 'Unreachable';
    const reason = failures.map((f) => `${f.ip}: ${f.result.reason}`).join('; ');
    return fail(code, reason);
  } finally {
    controller.abort();
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Runs `true` on a logged-in connection: calls back with its exit code, or why it could not run. */
function runTrue(client: ssh2.Client, done: (outcome: { code: number | null } | { error: string }) => void) {
  client.exec('true', (err, stream) => {
    if (err) return done({ error: err.message });
    stream.resume();
    stream.stderr.resume();
    stream.on('close', (code: number | null) => done({ code }));
  });
}

/**
 * A host key verifier that accepts only the pinned key (any key when none is pinned), and tells `seen`
 * the key the node showed and whether it was accepted.
 */
function verifyHostKey(
  pinned: string | undefined,
  seen: (key: string, accepted: boolean) => void,
): (key: Buffer) => boolean {
  return (key) => {
    const shown = formatHostKey(key);
    const accepted = !pinned || sameHostKey(pinned, shown);
    seen(shown, accepted);
    return accepted;
  };
}

/** Probes one IP: handshake (checking the pinned key), public key auth, then runs `true`. */
function probeAddress(ip: string, options: ProbeNodeOptions): Promise<ProbeResult> {
  const port = options.port ?? 22;
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let proxy: ReturnType<typeof openProxy> | undefined;
    let hostKey: string | undefined;
    let changedKey: string | undefined;
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Late errors from a torn-down socket must not become unhandled 'error' events.
      client.on('error', () => {});
      client.destroy();
      proxy?.close();
      resolve(result);
    };
    const onAbort = () => finish(fail('Aborted', 'interrupted'));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => finish(fail('Timeout', `no answer within ${seconds(options.timeoutMs)}`)),
      options.timeoutMs,
    );

    client.on('ready', () => runTrue(client, (outcome) => finish(loginResult(outcome, ip, hostKey))));
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (changedKey && options.pinnedHostKey)
        return finish(hostKeyChanged(options.pinnedHostKey, changedKey));
      failVia(classifyError(err, options, port));
    });
    client.on('close', () => failVia(fail('Unreachable', 'connection closed before login completed')));
    // Through a proxy, a broken pipe is only the symptom: the proxy's own exit says why.
    const failVia = (result: ProbeResult) => {
      if (!proxy) return finish(result);
      void Promise.race([proxy.exited, sleep(1000).then(() => undefined)]).then((why) =>
        finish(why ? fail('Unreachable', why) : result),
      );
    };

    try {
      if (options.proxyCommand) {
        proxy = openProxy(expandProxyCommand(options.proxyCommand, { host: ip, port, user: options.user }));
        proxy.exited.then((why) => finish(fail('Unreachable', why)));
      }
      client.connect({
        ...connectConfig(ip, port, options),
        ...(proxy ? { sock: proxy.stream } : {}),
        hostVerifier: verifyHostKey(options.pinnedHostKey, (seen, accepted) => {
          if (accepted) hostKey = seen;
          else changedKey = seen;
        }),
      });
    } catch (err) {
      finish(fail('KeyInvalid', `cannot use the private key: ${(err as Error).message}`));
    }
  });
}

/** What a login that ran `true` says: ready with its host key, or why the node cannot be used. */
function loginResult(
  outcome: { code: number | null } | { error: string },
  ip: string,
  hostKey: string | undefined,
): ProbeResult {
  if ('error' in outcome) return fail('CommandFailed', `could not run a command: ${outcome.error}`);
  if (outcome.code === 0 && hostKey) return { ok: true, ip, hostKey };
  return fail(
    'CommandFailed',
    `\`true\` exited with ${outcome.code ?? 'no status'} (is the login shell usable?)`,
  );
}

function hostKeyChanged(pinned: string, seen: string): ProbeResult {
  return fail('HostKeyChanged', `host key changed: pinned ${abbrev(pinned)}, got ${abbrev(seen)}`);
}

/** ssh2's connection settings for one address: key login only, the pinned key's algorithms first. */
function connectConfig(ip: string, port: number, options: ProbeNodeOptions): ssh2.ConnectConfig {
  return {
    host: ip,
    port,
    username: options.user,
    privateKey: options.privateKey,
    readyTimeout: options.timeoutMs,
    tryKeyboard: false,
    algorithms: pinnedAlgorithms(options.pinnedHostKey),
  };
}

/**
 * Runs a proxy command (`sh -c`, as OpenSSH does) and exposes its stdin/stdout as one stream.
 * `exited` resolves with a reason when the command ends, e.g. because the bastion refused us.
 */
export function openProxy(command: string): { stream: Duplex; exited: Promise<string>; close(): void } {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-500);
  });
  // A write after the command exited must not become an unhandled error.
  child.stdin.on('error', () => {});
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`ssh_proxy_command could not start: ${err.message}`));
    child.once('close', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
      const said = stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : '';
      resolve(`ssh_proxy_command "${command}" ${how}${said}`);
    });
  });
  return {
    stream: Duplex.from({ readable: child.stdout, writable: child.stdin }),
    exited,
    close: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** Maps an ssh2 client error to a failure code and a reason a user can act on. */
export function classifyError(
  err: Error & { level?: string; code?: string },
  options: Pick<ProbeNodeOptions, 'user' | 'timeoutMs'>,
  port: number,
): Extract<ProbeResult, { ok: false }> {
  if (err.level === 'client-authentication') {
    return fail('AuthFailed', `authentication as "${options.user}" with the cluster key was refused`);
  }
  if (err.level === 'client-timeout')
    return fail('Timeout', `no SSH handshake within ${seconds(options.timeoutMs)}`);
  if (err.level === 'client-socket' || err.level === 'client-dns') {
    const what: Record<string, string> = {
      ECONNREFUSED: `connection refused on port ${port}`,
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      ETIMEDOUT: 'connection timed out',
      ECONNRESET: 'connection reset',
    };
    return fail('Unreachable', (err.code && what[err.code]) ?? err.message);
  }
  return fail('Unreachable', err.message);
}

/** When a key is pinned, offer only its algorithm family so the server presents that key. */
export function pinnedAlgorithms(pinned: string | undefined) {
  const type = pinned === undefined ? undefined : parseHostKey(pinned)?.type;
  if (type === undefined) return undefined;
  const serverHostKey = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
  // biome-ignore lint/suspicious/noExplicitAny: ssh2's typings list algorithm names as a closed union
  return { serverHostKey } as any;
}

function fail(code: ProbeFailureCode, reason: string): Extract<ProbeResult, { ok: false }> {
  return { ok: false, code, reason };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** `ssh-ed25519 SHA256:...`, the fingerprint form `ssh-keygen -lf` prints, for messages. */
export function abbrev(key: string): string {
  const parsed = parseHostKey(key);
  if (!parsed) return key;
  const digest = createHash('sha256').update(Buffer.from(parsed.base64, 'base64')).digest('base64');
  return `${parsed.type} SHA256:${digest.replace(/=+$/, '')}`;
}
