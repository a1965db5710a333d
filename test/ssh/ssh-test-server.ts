/**
 * An in-process SSH server on loopback for tests: ed25519 host key, public key auth against a
 * list of authorized keys, and exec that really runs the command with /bin/sh on this machine,
 * so the OpenSSH client (and Ansible's raw/ping over it) can be driven against it.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';

/** A running test server. */
export interface SshTestServer {
  port: number;
  /** `<type> <base64>` of the server's host key. */
  hostKey: string;
  /** Commands received by exec, in order. */
  commands: string[];
  /** Stops listening and drops every open connection (which ends OpenSSH control masters). */
  close(): Promise<void>;
}

/** Options of {@link startSshTestServer}. */
export interface SshTestServerOptions {
  /** Public key lines allowed to log in. */
  authorizedKeys: readonly string[];
  /** Addresses to listen on (same port on each); default 127.0.0.1. */
  hosts?: readonly string[];
  /** Host private key (OpenSSH format); default a fresh ed25519 key. */
  hostPrivateKey?: string;
}

/**
 * A fresh ed25519 key pair that ssh2 itself can read back. ssh2's generator writes an OpenSSH private
 * key its own parser calls malformed about once in 200 keys (measured: 16 of 3000), which made tests
 * fail at random; herd's own keys come from ssh-keygen and are not affected.
 */
export function testKeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

/** Starts the server and resolves once every address listens. */
export async function startSshTestServer(options: SshTestServerOptions): Promise<SshTestServer> {
  const hostPrivateKey = options.hostPrivateKey ?? testKeyPair().private;
  const parsedHost = ssh2.utils.parseKey(hostPrivateKey);
  if (parsedHost instanceof Error) throw parsedHost;
  const hostKeyObject = Array.isArray(parsedHost) ? parsedHost[0]! : parsedHost;
  const hostKey = `${hostKeyObject.type} ${hostKeyObject.getPublicSSH().toString('base64')}`;
  const allowed = options.authorizedKeys.map((line) => {
    const key = ssh2.utils.parseKey(line);
    if (key instanceof Error) throw key;
    return Array.isArray(key) ? key[0]! : key;
  });
  const commands: string[] = [];
  const clients = new Set<ssh2.Connection>();
  const children = new Set<ReturnType<typeof spawn>>();

  const onConnection = (client: ssh2.Connection) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const match = allowed.find((k) => k.getPublicSSH().equals(ctx.key.data));
      if (!match) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob) {
        return match.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? ctx.accept() : ctx.reject();
      }
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('env', (accept) => accept?.());
        session.on('pty', (accept) => accept?.());
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          commands.push(info.command);
          const child = spawn('/bin/sh', ['-c', info.command], { stdio: 'pipe' });
          children.add(child);
          stream.pipe(child.stdin);
          child.stdout.pipe(stream, { end: false });
          child.stderr.pipe(stream.stderr, { end: false });
          // OpenSSH waits for the channel to close after EOF; close it once the command exits.
          child.on('close', (code) => {
            children.delete(child);
            stream.exit(code ?? 1);
            stream.end();
            stream.close();
          });
          child.stdin.on('error', () => {});
        });
      });
    });
  };

  const hosts = options.hosts ?? ['127.0.0.1'];
  const servers: ssh2.Server[] = [];
  let port = 0;
  for (const host of hosts) {
    const server = new ssh2.Server({ hostKeys: [hostPrivateKey] }, onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    servers.push(server);
  }

  return {
    port,
    hostKey,
    commands,
    async close() {
      for (const child of children) child.kill('SIGKILL');
      for (const client of clients) client.end();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
