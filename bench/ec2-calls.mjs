// EC2 provider benchmark: the provider from dist/ against moto_server (a real EC2 API server) behind a
// counting proxy, driven the way src/cluster/grow.ts drives it (prepare, one createNodes per kind in
// parallel, describeNodes until running; then stop's findNodes, terminateNodes, cleanup) for 1, 10 and
// 100 compute nodes plus a frontend. Reports API calls by action and herd's own time (wall time minus
// the time moto spent answering). Figures only, never assertions.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Forwards to `target`, counting calls by their `Action` form field and measuring the time at least one
 * call was waiting for moto (parallel calls overlap; herd's own time is the rest of the wall time).
 */
function countingProxy(target) {
  let counts = {};
  let upstreamMs = 0;
  let inFlight = 0;
  let busySince = 0n;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString()).get('Action') ?? '?';
      counts[action] = (counts[action] ?? 0) + 1;
      if (inFlight++ === 0) busySince = process.hrtime.bigint();
      const url = new URL(req.url, target);
      const out = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
        up.on('end', () => {
          if (--inFlight === 0) upstreamMs += Number(process.hrtime.bigint() - busySince) / 1e6;
        });
      });
      out.on('error', (e) => {
        inFlight--;
        res.writeHead(502);
        res.end(String(e));
      });
      out.end(body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        take() {
          const taken = { counts, upstreamMs };
          counts = {};
          upstreamMs = 0;
          return taken;
        },
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(r);
          }),
      }),
    ),
  );
}

async function startMoto() {
  const probe = createServer();
  const port = await new Promise((r) => probe.listen(0, '127.0.0.1', () => r(probe.address().port)));
  await new Promise((r) => probe.close(r));
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${url}/moto-api/`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url,
    reset: () => fetch(`${url}/moto-api/reset`, { method: 'POST' }),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An OpenSSH ed25519 public key line, as herd would hand the provider. */
function publicKeyLine() {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'jwk' }).x;
  const part = (b) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const blob = Buffer.concat([part(Buffer.from('ssh-ed25519')), part(Buffer.from(raw, 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} bench`;
}

const silent = { info() {}, warn() {}, debug() {} };

async function timed(proxy, fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const { counts, upstreamMs } = proxy.take();
  return {
    calls: Object.values(counts).reduce((a, b) => a + b, 0),
    wallMs: Math.round(wallMs),
    herdMs: Math.round(wallMs - upstreamMs),
    byAction: counts,
  };
}

/** Rows for bench/run.mjs: one per cluster size for start and one for stop. */
export async function benchEc2Calls({ work: _work } = {}) {
  if (spawnSync('sh', ['-c', 'command -v moto_server']).status !== 0) {
    return [{ label: 'EC2 provider calls', skipped: 'moto_server not installed' }];
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { createEc2Provider } = await import(pathToFileURL(join(root, 'dist/providers/ec2/index.js')).href);
  const moto = await startMoto();
  const proxy = await countingProxy(moto.url);
  const rows = [];
  try {
    for (const computeNodes of [1, 10, 100]) {
      await moto.reset();
      proxy.take();
      const cluster = `bench${computeNodes}`;
      const provider = await createEc2Provider(
        {
          name: 'bench',
          provider: 'ec2_boto',
          settings: {
            ec2_region: 'us-east-1',
            ec2_url: proxy.url,
            ec2_access_key: 'testing',
            ec2_secret_key: 'testing',
            ssh_cidr: '0.0.0.0/0',
            request_floating_ip: false,
          },
        },
        { storageDir: '/nonexistent', log: silent },
      );
      const login = { user: 'admin', publicKey: publicKeyLine(), keyName: undefined };
      const kinds = [
        ['frontend', 1],
        ['compute', computeNodes],
      ];
      let ids = [];
      const start = await timed(proxy, async () => {
        await provider.prepare(cluster, login);
        const results = await Promise.all(
          kinds.map(([kind, n]) =>
            provider.createNodes({
              cluster,
              runId: 'bench',
              kind,
              nodes: Array.from({ length: n }, (_, i) => {
                const name = `${kind}${String(i + 1).padStart(3, '0')}`;
                return { name, cloudName: `${cluster}-${name}` };
              }),
              settings: { image_id: 'ami-1e749f67', flavor: 't3.micro' },
              login,
            }),
          ),
        );
        ids = results.flatMap((r) => r.created.map((c) => c.instanceId));
        let waiting = ids;
        while (waiting.length > 0) {
          const statuses = await provider.describeNodes(cluster, waiting);
          waiting = statuses.filter((s) => s.state !== 'running').map((s) => s.instanceId);
          if (waiting.length > 0) await new Promise((r) => setTimeout(r, 500));
        }
      });
      rows.push({ label: `EC2 provider start ${computeNodes}+1 nodes (moto)`, ...start });
      const stop = await timed(proxy, async () => {
        const found = await provider.findNodes(cluster);
        await provider.terminateNodes(
          cluster,
          found.map((s) => s.instanceId),
        );
        await provider.findNodes(cluster);
        await provider.cleanup(cluster);
      });
      rows.push({ label: `EC2 provider stop ${computeNodes}+1 nodes (moto)`, ...stop });
    }
  } finally {
    await proxy.close();
    await moto.stop();
  }
  return rows;
}

// `node bench/ec2-calls.mjs` runs it alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await benchEc2Calls({ herd: join(root, 'bin', 'herd'), work: undefined })) {
    const { label, ...rest } = r;
    console.log(`${label.padEnd(44)} ${JSON.stringify(rest)}`);
  }
}
