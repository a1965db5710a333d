/**
 * The fakes' `settled()`: what a client sent just before it died has arrived and been answered, and
 * (OpenStack) the servers it created are placed, before the test looks. The client here writes its
 * request on a raw socket and closes it at once, as a killed herd leaves its requests behind.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFakeGce } from './gce/index.js';
import { startFakeOpenStack } from './openstack/index.js';

/** Sends one HTTP/1.1 request on a fresh connection and closes it without reading the answer. */
async function sendAndHangUp(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<void> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const head = Object.entries({
    host: `127.0.0.1:${port}`,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  }).map(([k, v]) => `${k}: ${v}\r\n`);
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () =>
      socket.end(`${method} ${path} HTTP/1.1\r\n${head.join('')}\r\n${text}`, resolve),
    );
  });
  socket.destroy();
}

/** A token of the fake's user, asked for on a connection that closes after the answer (fetch keeps it open). */
async function tokenWithoutKeepAlive(port: number): Promise<string> {
  const body = JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: 'herd', domain: { name: 'Default' }, password: 'secret' } },
      },
      scope: { project: { name: 'herd-project', domain: { name: 'Default' } } },
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/v3/auth/tokens',
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 201
            ? resolve(String(res.headers['x-subject-token']))
            : reject(new Error(`token: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('settled()', () => {
  it('GCE: waits for a request whose client hung up right after sending it', async () => {
    const fake = await startFakeGce({ runningDelayMs: 3_600_000 });
    try {
      const request = '/compute/v1/projects/herd-test/zones/us-central1-a/instances';
      await sendAndHangUp(fake.port, 'GET', request, { authorization: 'Bearer tok' }, undefined);
      await fake.settled();
      expect(fake.requests.map((r) => [r.method, r.path])).toEqual([['instances.list', request]]);
    } finally {
      await fake.stop();
    }
  });

  it('OpenStack: waits until the servers a hung-up client created are placed', async () => {
    const fake = await startFakeOpenStack({
      privateSubnet: '10.120.6.0/24',
      schedulingDelayMs: 30,
      spawnDelayMs: 3_600_000,
    });
    try {
      const port = Number(new URL(fake.url).port);
      const token = await tokenWithoutKeepAlive(port);
      const image = fake.images().find((i) => i.name === 'debian-12')!.id;
      const network = fake.networks().find((n) => n.name === 'private')!.id;
      await sendAndHangUp(
        port,
        'POST',
        '/compute/v2.1/servers',
        { 'x-auth-token': token, 'openstack-api-version': 'compute 2.67' },
        { server: { name: 'gone', imageRef: image, flavorRef: '2', networks: [{ uuid: network }] } },
      );
      await fake.settled();
      const [server] = fake.servers();
      expect(server?.name).toBe('gone');
      expect(server?.['OS-EXT-STS:task_state']).toBe('spawning');
      expect(fake.ports()).toHaveLength(1);
    } finally {
      await fake.stop();
    }
  });
});
