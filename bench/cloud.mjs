// Cloud orchestration benchmarks: herd's real start pipeline (dist/cluster/start.js: state saved before
// every call, one create per kind, polling, adoption) against moto_server (a real EC2 API server) for 1,
// 10 and 100 compute nodes plus a frontend. SSH and Ansible are replaced by stubs that answer at once, so
// the figures are API calls by action and herd's own time, excluding cloud boot and SSH. Figures only.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Forwards to `target` and counts calls (by the `Action` form field, or by `what(req)`), timing each. */
function countingProxy(target, what) {
  const counts = {};
  let upstreamMs = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const key = what(req, body);
      counts[key] = (counts[key] ?? 0) + 1;
      const t0 = process.hrtime.bigint();
      const url = new URL(req.url, target);
      const out = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
        up.on('end', () => {
          upstreamMs += Number(process.hrtime.bigint() - t0) / 1e6;
        });
      });
      out.on('error', (e) => {
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
        counts,
        upstreamMs: () => upstreamMs,
        reset() {
          for (const k of Object.keys(counts)) delete counts[k];
          upstreamMs = 0;
        },
        close: () => new Promise((r) => server.close(r)),
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
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Stubs for SSH and Ansible: every node answers at once (no packets leave the host). */
function stubDeps(real, log) {
  return {
    ...real,
    waitForSsh: async (request) =>
      new Map(
        request.nodes.map((n) => [
          n.name,
          { ok: true, ip: n.ips[0] ?? '192.0.2.1', hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench' },
        ]),
      ),
    runSetup: async () => {},
    log,
  };
}

async function runStart({ root, work, configText, template, counts }) {
  const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
  const [{ loadConfig, getTemplate }, { startCluster }, { StateRepository }, { createProvider }, keys] =
    await Promise.all([
      import(dist('config/index.js')),
      import(dist('cluster/start.js')),
      import(dist('state/index.js')),
      import(dist('providers/index.js')),
      import(dist('ssh/keys.js')),
    ]);
  const dir = join(work, `cloud-${template}-${counts}`);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config');
  writeFileSync(configPath, configText, { mode: 0o600 });
  const config = await loadConfig({ configPath, env: { HOME: dir }, playbooksDir: join(root, 'playbooks') });
  const tpl = getTemplate(config, template);
  const repo = await StateRepository.open(join(dir, 'storage'));
  const log = { info() {}, warn() {}, debug() {} };
  const progress = { plan() {}, node() {}, step() {}, output() {}, close: async () => {} };
  const deps = stubDeps(
    {
      repo,
      createProvider,
      writeInventory: async () => {},
      writeKnownHosts: async () => {},
      generateKeyPair: async (path, comment) => {
        await keys.generateKeyPair(path, comment);
      },
      progress,
      verbosity: 0,
      playbooksDir: join(root, 'playbooks'),
    },
    log,
  );
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const result = await startCluster({
    deps,
    template: tpl,
    name: template,
    nodeCounts: [{ count: counts, kind: 'compute' }],
    setup: false,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const ready = result.state.nodes.filter((n) => n.state === 'ready').length;
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, ready };
}

function ec2Config(url) {
  return `[cloud/aws]
provider=ec2_boto
ec2_url=${url}
ec2_region=us-east-1
ec2_access_key=testing
ec2_secret_key=testing
[login/u]
image_user=admin
[setup/s]
provider=ansible
frontend_groups=slurm_master
compute_groups=slurm_worker
[cluster/ec2bench]
cloud=aws
login=u
setup=s
image_id=ami-1e749f67
flavor=t3.micro
frontend_nodes=1
compute_nodes=1
ssh_to=frontend
`;
}

/** EC2 through moto: API calls by action and herd's own time for 1, 10, 100 compute nodes (+1 frontend). */
export async function benchEc2Orchestration({ root, work }) {
  if (spawnSync('sh', ['-c', 'command -v moto_server']).status !== 0) {
    return [{ label: 'EC2 orchestration', skipped: 'moto_server not installed' }];
  }
  const moto = await startMoto();
  const proxy = await countingProxy(moto.url, (_req, body) => {
    const action = new URLSearchParams(body.toString()).get('Action');
    return action ?? 'other';
  });
  const rows = [];
  try {
    for (const n of [1, 10, 100]) {
      await fetch(`${moto.url}/moto-api/reset`, { method: 'POST' });
      proxy.reset();
      const { seconds, cpuSeconds, ready } = await runStart({
        root,
        work,
        configText: ec2Config(proxy.url),
        template: 'ec2bench',
        counts: n,
      });
      const apiSeconds = proxy.upstreamMs() / 1000;
      rows.push({
        label: `EC2 start ${n}+1 nodes (moto, SSH stubbed)`,
        seconds: Math.round(seconds * 100) / 100,
        ready,
        apiSeconds: Math.round(apiSeconds * 100) / 100,
        // CPU time of this process during the start: herd's own work (the proxy adds a little).
        herdCpuSeconds: Math.round(cpuSeconds * 100) / 100,
        calls: { ...proxy.counts },
      });
    }
  } finally {
    await proxy.close();
    moto.stop();
  }
  return rows;
}

/** Every cloud orchestration benchmark. */
export async function benchCloud({ root, work }) {
  return [...(await benchEc2Orchestration({ root, work }))];
}
