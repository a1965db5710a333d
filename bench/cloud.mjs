// Cloud orchestration benchmarks: herd's real pipeline (dist/cluster/start.js and stop.js: state saved
// before every call, one create per kind, polling, adoption, stop by id and by tag) against moto_server
// (a real EC2 API server), the fake Compute Engine API (test/fakes/gce) and the fake OpenStack cloud
// (test/fakes/openstack; the test doubles compiled by bench/test-doubles.mjs), for
// 1, 10 and 100 compute nodes plus a frontend. SSH and Ansible are stubs that answer at once, so the
// figures are API calls by action and herd's own time, without cloud boot or SSH. Figures only.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadTestDoubles } from './test-doubles.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = [1, 10, 100];

/**
 * Forwards to `target`, counting calls by their `Action` form field, and measures the time at least one
 * call was waiting for the server (parallel calls overlap; herd's own time is the rest of the wall time).
 */
function countingProxy(target) {
  let counts = {};
  let busyMs = 0;
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
      const done = () => {
        if (--inFlight === 0) busyMs += Number(process.hrtime.bigint() - busySince) / 1e6;
      };
      const url = new URL(req.url, target);
      const out = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
        up.on('end', done);
      });
      out.on('error', (e) => {
        done();
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
          const result = { counts, busyMs };
          counts = {};
          busyMs = 0;
          return result;
        },
        close: () => new Promise((r) => server.close(r)),
      }),
    ),
  );
}

const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);

/** herd's orchestration with SSH and Ansible stubbed (every node answers at once; no packet leaves the host). */
async function pipeline(dir, configText) {
  const [
    { loadConfig, getTemplate },
    { startCluster },
    { stopCluster },
    { StateRepository },
    providers,
    keys,
  ] = await Promise.all([
    dist('config/index.js'),
    dist('cluster/start.js'),
    dist('cluster/stop.js'),
    dist('state/index.js'),
    dist('providers/index.js'),
    dist('ssh/keys.js'),
  ]);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config');
  writeFileSync(configPath, configText, { mode: 0o600 });
  const config = await loadConfig({ configPath, env: { HOME: dir }, playbooksDir: join(root, 'playbooks') });
  const template = getTemplate(config, 'bench');
  const deps = {
    repo: await StateRepository.open(join(dir, 'storage')),
    createProvider: providers.createProvider,
    waitForSsh: async (req) =>
      new Map(
        req.nodes.map((n) => [
          n.name,
          { ok: true, ip: n.ips[0] ?? '192.0.2.1', hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench' },
        ]),
      ),
    runSetup: async () => {},
    writeInventory: async () => {},
    writeKnownHosts: async () => {},
    closeConnections: async () => {},
    generateKeyPair: async (path, cluster) => {
      await keys.generateKeyPair(path, cluster);
    },
    stopOrphanedSetup: async () => {},
    log: { info() {}, warn() {}, debug() {} },
    progress: { plan() {}, node() {}, step() {}, output() {}, close: async () => {} },
    verbosity: 0,
    playbooksDir: join(root, 'playbooks'),
  };
  return {
    async start(computeNodes) {
      const t0 = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      const result = await startCluster({
        deps,
        template,
        name: 'bench',
        nodeCounts: [{ kind: 'compute', count: computeNodes }],
        setup: false,
      });
      const cpu = process.cpuUsage(cpu0);
      return {
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
        cpuMs: (cpu.user + cpu.system) / 1000,
        ready: result.state.nodes.filter((n) => n.state === 'ready').length,
      };
    },
    async stop() {
      const t0 = process.hrtime.bigint();
      await stopCluster({ deps, name: 'bench', cloud: template.cloud, force: false, wait: false });
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    },
  };
}

const round = (ms) => Math.round(ms);

/** A cluster template `bench` of one frontend and one compute node on each cloud double. */
const ec2Config = (url, doubles) =>
  doubles.slurmConfig({
    name: 'bench',
    cloud: doubles.ec2Cloud(url),
    login: { name: 'u', settings: { image_user: 'admin' } },
    cluster: { image_id: 'ami-1e749f67', flavor: 't3.micro' },
    computeNodes: 1,
  });
const gceConfig = (url, doubles) =>
  doubles.gceSlurmConfig(url, { name: 'bench', project: 'herd-bench', computeNodes: 1 });
const openstackConfig = (authUrl, doubles) =>
  doubles.slurmConfig({
    name: 'bench',
    cloud: doubles.openstackCloud(authUrl),
    login: { name: 'u', settings: { image_user: 'debian' } },
    cluster: { image_id: 'debian-12', flavor: 'm1.small', network_ids: 'private' },
    computeNodes: 1,
  });

/** EC2 through moto: calls by action, wall time, time waiting for moto, herd's own CPU time. */
async function benchEc2({ work, doubles }) {
  if (!doubles.findMotoServer()) return [{ label: 'ec2 (moto)', skipped: 'moto_server is not installed' }];
  const moto = await doubles.startMoto();
  const proxy = await countingProxy(moto.url);
  const rows = [];
  try {
    for (const n of SIZES) {
      await moto.reset();
      const run = await pipeline(join(work, `ec2-${n}`), ec2Config(proxy.url, doubles));
      proxy.take();
      const start = await run.start(n);
      const startApi = proxy.take();
      const stop = await run.stop();
      const stopApi = proxy.take();
      rows.push({
        label: `ec2 (moto): start 1+${n}, SSH stubbed`,
        medianMs: round(start.ms),
        waitingForApiMs: round(startApi.busyMs),
        herdOwnMs: round(start.ms - startApi.busyMs),
        cpuMs: round(start.cpuMs),
        ready: start.ready,
        calls: startApi.counts,
      });
      rows.push({ label: `ec2 (moto): stop 1+${n}`, medianMs: round(stop.ms), calls: stopApi.counts });
    }
  } finally {
    await proxy.close();
    await moto.stop();
  }
  return rows;
}

/** GCE through the fake Compute API: calls by method, wall time, CPU time (herd's and the in-process fake's). */
async function benchGce({ work, doubles }) {
  const { startFakeGce } = doubles;
  const previous = process.env.GOOGLE_OAUTH_ACCESS_TOKEN;
  process.env.GOOGLE_OAUTH_ACCESS_TOKEN = 'bench-token';
  const rows = [];
  try {
    for (const n of SIZES) {
      const fake = await startFakeGce({
        project: 'herd-bench',
        internalSubnet: '10.87.0.0/16',
        runningDelayMs: 200,
      });
      try {
        const run = await pipeline(join(work, `gce-${n}`), gceConfig(fake.url, doubles));
        const start = await run.start(n);
        const startCalls = { ...fake.calls };
        fake.resetCalls();
        const stop = await run.stop();
        rows.push({
          label: `gce (fake API): start 1+${n}, SSH stubbed`,
          medianMs: round(start.ms),
          cpuMs: round(start.cpuMs),
          ready: start.ready,
          calls: startCalls,
        });
        rows.push({
          label: `gce (fake API): stop 1+${n}`,
          medianMs: round(stop.ms),
          calls: { ...fake.calls },
          left: fake.instances().length,
        });
      } finally {
        await fake.stop();
      }
    }
  } finally {
    if (previous === undefined) delete process.env.GOOGLE_OAUTH_ACCESS_TOKEN;
    else process.env.GOOGLE_OAUTH_ACCESS_TOKEN = previous;
  }
  return rows;
}

/**
 * OpenStack through the fake cloud (Keystone, Nova, Neutron, Glance in this process): calls by
 * operation, wall time and CPU time (herd's and the fake's). The fake places a server after 50 ms and
 * lets it boot in 200 ms, so most of the wall time is the cloud's.
 */
async function benchOpenStack({ work, doubles }) {
  const { startFakeOpenStack } = doubles;
  const rows = [];
  for (const n of SIZES) {
    const fake = await startFakeOpenStack({
      privateSubnet: '10.120.0.0/16',
      schedulingDelayMs: 50,
      spawnDelayMs: 200,
      deleteDelayMs: 50,
    });
    try {
      const run = await pipeline(join(work, `openstack-${n}`), openstackConfig(fake.authUrl, doubles));
      const start = await run.start(n);
      const startCalls = { ...fake.calls };
      fake.resetCalls();
      const stop = await run.stop();
      rows.push({
        label: `openstack (fake): start 1+${n}, SSH stubbed`,
        medianMs: round(start.ms),
        cpuMs: round(start.cpuMs),
        ready: start.ready,
        calls: startCalls,
      });
      rows.push({
        label: `openstack (fake): stop 1+${n}`,
        medianMs: round(stop.ms),
        calls: { ...fake.calls },
        left: fake.servers().length + fake.securityGroups().length - 1 + fake.keyPairs().length,
      });
    } finally {
      await fake.stop();
    }
  }
  return rows;
}

/** Every cloud orchestration benchmark, as rows for bench/run.mjs. */
export async function benchCloud({ work }) {
  const doubles = await loadTestDoubles(mkdtempSync(join(work, 'test-doubles-')));
  return [
    ...(await benchEc2({ work, doubles })),
    ...(await benchGce({ work, doubles })),
    ...(await benchOpenStack({ work, doubles })),
  ];
}
