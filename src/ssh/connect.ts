/**
 * One authenticated ssh2 connection to a node of a cluster, for `exec`, `put` and `get`: the
 * cluster's key, the node's pinned host key (any other key is refused), and `ssh_proxy_command`
 * when set, exactly as the SSH probe reaches nodes.
 */
import ssh2 from 'ssh2';
import { SshError } from '../errors.js';
import { formatHostKey, sameHostKey } from './known-hosts.js';
import { expandProxyCommand } from './openssh.js';
import { abbrev, classifyError, openProxy, pinnedAlgorithms } from './probe.js';

/** A node to connect to. */
export interface SshNode {
  /** Node name, for messages. */
  name: string;
  host: string;
  /** Default 22. */
  port?: number | undefined;
  /** The pinned host key (`<type> <base64>`); the connection is refused for any other. */
  hostKey: string;
}

/** Settings shared by every connection of one command. */
export interface SshConnectionOptions {
  user: string;
  privateKey: Buffer | string;
  /** `ssh_proxy_command`, `%h %p %r` not yet expanded. */
  proxyCommand?: string | undefined;
  /** Time from the first packet to a logged-in session. */
  connectTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** Why a connection failed: `HostKeyChanged`, `SshAuthFailed`, `SshUnreachable` or `Interrupted`. */
export class SshConnectError extends SshError {}

/** Connects and authenticates; rejects with a SshConnectError that says what went wrong. */
export function connectNode(node: SshNode, options: SshConnectionOptions): Promise<ssh2.Client> {
  const port = node.port ?? 22;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let proxy: ReturnType<typeof openProxy> | undefined;
    let changedKey: string | undefined;
    let settled = false;
    const finish = (error: SshConnectError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error === undefined) {
        // The caller owns the connection now; closing it also ends the proxy command.
        client.on('close', () => proxy?.close());
        return resolve(client);
      }
      client.on('error', () => {});
      client.destroy();
      proxy?.close();
      reject(error);
    };
    const fail = (code: string, reason: string) =>
      finish(new SshConnectError(code, `${node.name} (${node.host}): ${reason}`));
    const onAbort = () => fail('Interrupted', 'interrupted');
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => fail('SshUnreachable', `no SSH session within ${Math.round(options.connectTimeoutMs / 1000)} s`),
      options.connectTimeoutMs,
    );
    client.on('ready', () => finish(undefined));
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (changedKey) {
        return fail(
          'HostKeyChanged',
          `host key changed: pinned ${abbrev(node.hostKey)}, got ${abbrev(changedKey)}; refusing to connect`,
        );
      }
      const failure = classifyError(err, { user: options.user, timeoutMs: options.connectTimeoutMs }, port);
      const code = failure.code === 'AuthFailed' ? 'SshAuthFailed' : 'SshUnreachable';
      if (!proxy) return fail(code, failure.reason);
      // Through a proxy, a broken pipe is only the symptom: the proxy's own exit says why.
      void Promise.race([proxy.exited, new Promise((r) => setTimeout(r, 1000))]).then((why) =>
        fail(code, typeof why === 'string' ? why : failure.reason),
      );
    });
    client.on('close', () => fail('SshUnreachable', 'connection closed before login completed'));
    try {
      if (options.proxyCommand) {
        proxy = openProxy(
          expandProxyCommand(options.proxyCommand, { host: node.host, port, user: options.user }),
        );
        proxy.exited.then((why) => fail('SshUnreachable', why));
      }
      client.connect({
        ...(proxy ? { sock: proxy.stream } : {}),
        host: node.host,
        port,
        username: options.user,
        privateKey: options.privateKey,
        readyTimeout: options.connectTimeoutMs,
        keepaliveInterval: 15_000,
        tryKeyboard: false,
        algorithms: pinnedAlgorithms(node.hostKey),
        hostVerifier: (key: Buffer) => {
          const seen = formatHostKey(key);
          if (sameHostKey(node.hostKey, seen)) return true;
          changedKey = seen;
          return false;
        },
      });
    } catch (error) {
      fail('SshKeyInvalid', `cannot use the private key: ${(error as Error).message}`);
    }
  });
}
