/** The digest of a setup run's inputs: what changes it, what does not, and when it cannot be made. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Template } from '../../src/config/types.js';
import { type DigestContext, setupDigest } from '../../src/setup/setup-digest.js';
import type { ClusterState } from '../../src/state/types.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

let dir: string;
let state: ClusterState;
let tpl: Template;
let context: DigestContext;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-digest-'));
  const playbooks = join(dir, 'playbooks');
  await mkdir(join(playbooks, 'roles', 'slurm', 'tasks'), { recursive: true });
  await writeFile(join(playbooks, 'site.yml'), '- hosts: all\n');
  await writeFile(join(playbooks, 'roles', 'slurm', 'tasks', 'main.yml'), '- debug: msg=hi\n');
  await writeFile(join(dir, 'key'), 'PRIVATE KEY');
  await writeFile(join(dir, 'inventory'), '[all]\nfrontend001 ansible_host=10.0.0.1\n');
  tpl = template({ setup: { ...template().setup, playbookPath: join(playbooks, 'site.yml') } });
  state = {
    ...clusterState([
      node('frontend001', '10.0.0.1', { instanceId: 'i-1', hostKey: 'ssh-ed25519 AAAA1' }),
      node('compute001', '10.0.0.2', { instanceId: 'i-2', hostKey: 'ssh-ed25519 AAAA2' }),
    ]),
  };
  state.paths = { ...state.paths, privateKey: join(dir, 'key'), inventory: join(dir, 'inventory') };
  context = { herdVersion: '1.0.0', playbooksDir: playbooks, env: { HOME: dir }, cwd: dir };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const digest = () => setupDigest(state, tpl, context);

describe('setupDigest', () => {
  it('is a hex HMAC, the same for the same inputs', async () => {
    const first = await digest();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await digest()).toBe(first);
  });

  it.each<[string, () => Promise<void> | void]>([
    [
      "herd's version",
      () => {
        context = { ...context, herdVersion: '1.0.1' };
      },
    ],
    ['a playbook file', () => writeFile(join(dir, 'playbooks', 'site.yml'), '- hosts: all\n  tasks: []\n')],
    ['a role file', () => writeFile(join(dir, 'playbooks', 'roles', 'slurm', 'tasks', 'main.yml'), '')],
    ['a new file in the tree', () => writeFile(join(dir, 'playbooks', 'roles', 'slurm', 'x.j2'), '')],
    ['the inventory', () => writeFile(join(dir, 'inventory'), '[all]\nfrontend001 ansible_host=10.0.0.9\n')],
    ['group_vars beside the inventory', () => mkdir(join(dir, 'group_vars'))],
    [
      'a setup variable',
      () => {
        tpl = { ...tpl, setup: { ...tpl.setup, globalVars: { slurm_mpi: 'yes' } } };
      },
    ],
    [
      'ansible_command',
      () => {
        tpl = { ...tpl, setup: { ...tpl.setup, ansibleCommand: 'ansible-playbook -f 9' } };
      },
    ],
    [
      'ansible_extra_args',
      () => {
        tpl = { ...tpl, setup: { ...tpl.setup, ansibleExtraArgs: ['-e', 'x=1'] } };
      },
    ],
    [
      'a kind variable',
      () => {
        tpl = { ...tpl, kinds: tpl.kinds.map((k) => ({ ...k, vars: { a: 'b' } })) };
      },
    ],
    [
      "a node's address",
      () => {
        state.nodes[1]!.preferredIp = '10.0.0.3';
      },
    ],
    [
      "a node's instance (replaced)",
      () => {
        state.nodes[1]!.instanceId = 'i-3';
      },
    ],
    [
      "a node's host key",
      () => {
        state.nodes[1]!.hostKey = 'ssh-ed25519 BBBB';
      },
    ],
    [
      'an ANSIBLE_ variable',
      () => {
        context = { ...context, env: { ...context.env, ANSIBLE_FORKS: '3' } };
      },
    ],
    ['~/.ansible.cfg', () => writeFile(join(dir, '.ansible.cfg'), '[defaults]\n')],
    ['./ansible.cfg', () => writeFile(join(dir, 'ansible.cfg'), '[defaults]\n')],
    ["the cluster's key (the HMAC key)", () => writeFile(join(dir, 'key'), 'OTHER KEY')],
  ])('changes with %s', async (_what, change) => {
    const before = await digest();
    await change();
    expect(await digest()).not.toBe(before);
  });

  it.each<[string, () => Promise<void> | void]>([
    [
      'the cloud section (credentials)',
      () => {
        tpl = { ...tpl, cloud: { ...tpl.cloud, settings: { x: '1' } } };
      },
    ],
    [
      "the kinds' node counts (the inventory lists the nodes)",
      () => {
        tpl = { ...tpl, kinds: tpl.kinds.map((k) => ({ ...k, count: k.count + 1, min: 0 })) };
      },
    ],
    [
      'a variable outside ANSIBLE_*',
      () => {
        context = { ...context, env: { ...context.env, TERM: 'xterm' } };
      },
    ],
    [
      'a file under .git',
      async () => {
        await mkdir(join(dir, 'playbooks', '.git'));
        await writeFile(join(dir, 'playbooks', '.git', 'HEAD'), 'ref');
      },
    ],
    [
      'the order of template keys',
      () => {
        tpl = Object.fromEntries(Object.entries(tpl).reverse()) as Template;
      },
    ],
  ])('stays the same with %s', async (_what, change) => {
    const before = await digest();
    await change();
    expect(await digest()).toBe(before);
  });

  it('cannot be made without the cluster key or the inventory (never skip then)', async () => {
    await rm(join(dir, 'inventory'));
    expect(await digest()).toBeUndefined();
    await writeFile(join(dir, 'inventory'), '');
    await rm(join(dir, 'key'));
    expect(await digest()).toBeUndefined();
  });

  it('cannot be made when the playbook tree is too large to read', async () => {
    await writeFile(join(dir, 'playbooks', 'big.bin'), Buffer.alloc(65 * 1024 * 1024));
    expect(await digest()).toBeUndefined();
  });
});

describe('setupDigest: the Ansible installed (a virtualenv on PATH)', () => {
  const venv = () => join(dir, 'venv');
  const site = () => join(venv(), 'lib', 'python3.11', 'site-packages');
  const collection = (root: string, name: string, version: string) =>
    mkdir(join(root, 'ansible_collections', ...name.split('.')), { recursive: true }).then(() =>
      writeFile(
        join(root, 'ansible_collections', ...name.split('.'), 'MANIFEST.json'),
        JSON.stringify({ collection_info: { namespace: name.split('.')[0], version } }),
      ),
    );
  const release = (version: string) =>
    writeFile(join(site(), 'ansible', 'release.py'), `__version__ = '${version}'\n__codename__ = 'x'\n`);

  beforeEach(async () => {
    await mkdir(join(venv(), 'bin'), { recursive: true });
    await mkdir(join(site(), 'ansible'), { recursive: true });
    await writeFile(join(venv(), 'bin', 'python3'), '', { mode: 0o755 });
    await writeFile(
      join(venv(), 'bin', 'ansible-playbook'),
      `#!${join(venv(), 'bin', 'python3')}\nfrom ansible.cli.playbook import main\nmain()\n`,
      { mode: 0o755 },
    );
    await release('2.14.18');
    await collection(site(), 'community.general', '8.0.0');
    context = { ...context, env: { HOME: dir, PATH: `/nonexistent:${join(venv(), 'bin')}` } };
  });

  it.each<[string, () => Promise<unknown>]>([
    ['a new ansible-core (release.py)', () => release('2.16.3')],
    ['a collection upgraded in the site directory', () => collection(site(), 'community.general', '9.0.0')],
    [
      'a collection installed in ~/.ansible/collections',
      () => collection(join(dir, '.ansible', 'collections'), 'ansible.posix', '1.5.4'),
    ],
    [
      'ansible-playbook replaced (ansible-core reinstalled)',
      () =>
        writeFile(join(venv(), 'bin', 'ansible-playbook'), '#!/usr/bin/python3\nimport sys\n', {
          mode: 0o755,
        }),
    ],
  ])('changes with %s', async (_what, change) => {
    const before = await digest();
    await change();
    expect(await digest()).not.toBe(before);
  });

  it('follows a `#!/usr/bin/env python3` script to the site directory of the python3 on PATH', async () => {
    await writeFile(join(venv(), 'bin', 'ansible-playbook'), '#!/usr/bin/env python3\nmain()\n', {
      mode: 0o755,
    });
    const before = await digest();
    await release('2.17.0');
    expect(await digest()).not.toBe(before);
  });

  it('reads the collections of ANSIBLE_COLLECTIONS_PATH instead of the default paths', async () => {
    context = {
      ...context,
      env: { ...context.env, ANSIBLE_COLLECTIONS_PATH: `${join(dir, 'colls')}:~/more` },
    };
    const before = await digest();
    await collection(join(dir, 'more'), 'community.mysql', '3.8.0');
    const withMore = await digest();
    expect(withMore).not.toBe(before);
    await collection(join(dir, '.ansible', 'collections'), 'ansible.posix', '1.5.4');
    expect(await digest()).toBe(withMore);
  });

  it('stays the same when another Python package in the site directory changes', async () => {
    const before = await digest();
    await mkdir(join(site(), 'requests'));
    await writeFile(join(site(), 'requests', '__init__.py'), '');
    expect(await digest()).toBe(before);
  });
});
