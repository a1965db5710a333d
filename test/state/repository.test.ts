import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError, UsageError } from '../../src/errors.js';
import { MIGRATED_RUN_ID, STATE_VERSION, StateRepository } from '../../src/state/index.js';
import { sampleState, sampleTemplate, storedSample } from './fixtures/sample.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<StateError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StateError);
    return error as StateError;
  }
  throw new Error('expected a StateError');
}

describe('StateRepository.open', () => {
  it('creates the storage dir 0700, and state files are 0600', async () => {
    const storage = join(dir, 'nested', 'storage');
    const repo = await StateRepository.open(storage);
    expect((await stat(storage)).mode & 0o777).toBe(0o700);
    await repo.save(sampleState(storage, 'c1'));
    expect((await stat(join(storage, 'c1.json'))).mode & 0o777).toBe(0o600);
  });

  it('keeps 0600 under a permissive umask', async () => {
    const old = process.umask(0);
    try {
      const repo = await StateRepository.open(join(dir, 's'));
      await repo.save(sampleState(repo.dir, 'c1'));
      expect((await stat(join(repo.dir, 'c1.json'))).mode & 0o777).toBe(0o600);
      expect((await stat(repo.dir)).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(old);
    }
  });

  it('tightens an existing group/world-readable dir to 0700 without error', async () => {
    const storage = join(dir, 'open');
    await mkdir(storage);
    await chmod(storage, 0o755);
    const repo = await StateRepository.open(storage);
    expect((await stat(storage)).mode & 0o777).toBe(0o700);
    expect(repo.dir).toBe(storage);
  });

  it('rejects a storage path that is a file', async () => {
    const file = join(dir, 'file');
    await writeFile(file, '');
    const error = await caught(StateRepository.open(file));
    expect(error.code).toBe('StateDirInvalid');
    expect(error.message).toContain(file);
  });
});

describe('layout', () => {
  it('uses flat per-cluster file names', async () => {
    const repo = await StateRepository.open(dir);
    expect(repo.pathsFor('c1')).toEqual({
      privateKey: join(dir, 'c1.key'),
      publicKey: join(dir, 'c1.key.pub'),
      knownHosts: join(dir, 'c1.known_hosts'),
      inventory: join(dir, 'c1.inventory'),
    });
  });

  it('refuses cluster names that would escape the storage dir', async () => {
    const repo = await StateRepository.open(dir);
    expect(() => repo.pathsFor('../etc')).toThrow(UsageError);
    await expect(repo.load('../x')).rejects.toThrow(UsageError);
    await expect(repo.lock('a/b')).rejects.toThrow(UsageError);
  });
});

describe('save and load', () => {
  it('round-trips a record and sets updatedAt', async () => {
    const repo = await StateRepository.open(dir);
    const state = sampleState(dir, 'c1', 2);
    state.updatedAt = '2000-01-01T00:00:00.000Z';
    const before = Date.now();
    await repo.save(state);
    expect(Date.parse(state.updatedAt)).toBeGreaterThanOrEqual(before);
    const loaded = await repo.load('c1');
    expect(loaded).toEqual(JSON.parse(JSON.stringify(state)));
    expect(await repo.exists('c1')).toBe(true);
    expect(await repo.exists('c2')).toBe(false);
    expect(await repo.tryLoad('c2')).toBeUndefined();
  });

  it('refuses to write a record that would not load, and leaves the old file alone', async () => {
    const repo = await StateRepository.open(dir);
    await repo.save(sampleState(dir, 'c1'));
    const before = await readFile(join(dir, 'c1.json'), 'utf8');
    const bad = sampleState(dir, 'c1');
    (bad.nodes[0] as { state: string }).state = 'sleeping';
    (bad as { extra?: number }).extra = 1;
    const error = await caught(repo.save(bad));
    expect(error.code).toBe('StateInvalid');
    expect(error.message).toContain('/nodes/0/state must be equal to one of the allowed values');
    expect(error.message).toContain('must NOT have additional properties "extra"');
    expect(await readFile(join(dir, 'c1.json'), 'utf8')).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(['c1.json']);
  });

  it('says which cluster is missing, suggests a close name and points at herd list', async () => {
    const repo = await StateRepository.open(dir);
    await repo.save(sampleState(dir, 'alpha'));
    const error = await caught(repo.load('alpah'));
    expect(error.code).toBe('ClusterNotFound');
    expect(error.message).toContain('No cluster named "alpah"');
    expect(error.message).toContain('did you mean "alpha"?');
    expect(error.hint).toContain('herd list');
  });
});

describe('list', () => {
  it('lists clusters, reports corrupt files, and ignores temp, lock and other files', async () => {
    const repo = await StateRepository.open(dir);
    await repo.save(sampleState(dir, 'b'));
    await repo.save(sampleState(dir, 'a'));
    await writeFile(join(dir, 'broken.json'), '{"version": 1,');
    await writeFile(join(dir, 'a.json.tmp-123-abcd'), 'partial');
    await writeFile(join(dir, 'a.lock'), '{"pid":1}');
    await writeFile(join(dir, 'a.known_hosts'), '');
    await writeFile(join(dir, '.hidden.json'), 'x');
    const { clusters, errors } = await repo.list();
    expect(clusters.map((c) => c.name)).toEqual(['a', 'b']);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('StateCorrupt');
    expect(errors[0]!.message).toContain(join(dir, 'broken.json'));
  });

  it('is empty for a new storage dir', async () => {
    const repo = await StateRepository.open(join(dir, 'new'));
    expect(await repo.list()).toEqual({ clusters: [], errors: [] });
  });
});

describe('corrupt and foreign files', () => {
  it('reports a file that is not JSON, with file, parse error and hint, and never overwrites it', async () => {
    const repo = await StateRepository.open(dir);
    const file = join(dir, 'c1.json');
    await writeFile(file, '{"version": 1, "name": ');
    const error = await caught(repo.load('c1'));
    expect(error.code).toBe('StateCorrupt');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not valid JSON \(.*JSON/);
    expect(error.hint).toContain('backup');

    const refused = await caught(repo.save(sampleState(dir, 'c1')));
    expect(refused.code).toBe('StateCorrupt');
    expect(refused.message).toContain('Not saving cluster "c1"');
    expect(refused.hint).toContain('overwriteCorrupt');
    expect(await readFile(file, 'utf8')).toBe('{"version": 1, "name": ');

    await repo.save(sampleState(dir, 'c1'), { overwriteCorrupt: true });
    expect((await repo.load('c1')).name).toBe('c1');
  });

  it('reports schema violations with their JSON path', async () => {
    const repo = await StateRepository.open(dir);
    const record = JSON.parse(JSON.stringify(storedSample(dir, 'c1')));
    record.nodes[0].publicIps = 'not a list';
    delete record.templateName;
    await writeFile(join(dir, 'c1.json'), JSON.stringify(record));
    const error = await caught(repo.load('c1'));
    expect(error.code).toBe('StateCorrupt');
    expect(error.message).toContain("must have required property 'templateName'");
    expect(error.message).toContain('/nodes/0/publicIps must be array');
  });

  it('rejects a record whose name differs from its file name', async () => {
    const repo = await StateRepository.open(dir);
    await writeFile(join(dir, 'c2.json'), JSON.stringify(storedSample(dir, 'c1')));
    const error = await caught(repo.load('c2'));
    expect(error.code).toBe('StateCorrupt');
    expect(error.message).toContain('records cluster "c1"');
  });

  it('rejects a missing version', async () => {
    const repo = await StateRepository.open(dir);
    const { version: _, ...record } = sampleState(dir, 'c1');
    await writeFile(join(dir, 'c1.json'), JSON.stringify(record));
    const error = await caught(repo.load('c1'));
    expect(error.code).toBe('StateCorrupt');
    expect(error.message).toContain('"version" is undefined');
  });

  it('refuses a file written by a newer herd, for reading and for overwriting', async () => {
    const repo = await StateRepository.open(dir);
    const file = join(dir, 'c1.json');
    const text = JSON.stringify({ ...sampleState(dir, 'c1'), version: 7, future: true });
    await writeFile(file, text);
    const error = await caught(repo.load('c1'));
    expect(error.code).toBe('StateTooNew');
    expect(error.message).toContain('written by a newer herd (format version 7');
    expect(error.hint).toContain('Upgrade herd');
    expect((await caught(repo.save(sampleState(dir, 'c1')))).code).toBe('StateTooNew');
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});

describe('migration', () => {
  it('reads a version 0 file as the current version, and saves it as the current version', async () => {
    const repo = await StateRepository.open(dir);
    const v0 = {
      version: 0,
      name: 'old',
      template: 'slurm',
      snapshot: sampleTemplate(),
      created: '2024-05-01T10:00:00.000Z',
      updated: '2024-05-02T10:00:00.000Z',
      nodes: {
        frontend: [
          {
            name: 'frontend001',
            instance_id: 'i-f',
            ips: ['10.0.0.1'],
            preferred_ip: '10.0.0.1',
            state: 'running',
          },
        ],
        compute: [{ name: 'compute001', ips: [] }],
      },
      user_key_private: '/home/u/.ssh/id_ed25519',
      user_key_public: '/home/u/.ssh/id_ed25519.pub',
      known_hosts_file: join(dir, 'old.known_hosts'),
    };
    await writeFile(join(dir, 'old.json'), JSON.stringify(v0));

    const state = await repo.load('old');
    expect(state.version).toBe(STATE_VERSION);
    // A cluster from before ids keeps none: it goes on using the resources with its name and no id.
    expect(state.id).toBeUndefined();
    expect(state.templateName).toBe('slurm');
    expect(state.template.name).toBe('slurm');
    expect(state.createdAt).toBe(v0.created);
    expect(state.updatedAt).toBe(v0.updated);
    expect(state.nodes).toEqual([
      {
        name: 'frontend001',
        kind: 'frontend',
        cloudName: 'old-frontend001',
        instanceId: 'i-f',
        state: 'running',
        publicIps: [],
        privateIps: ['10.0.0.1'],
        preferredIp: '10.0.0.1',
        runId: MIGRATED_RUN_ID,
        createdAt: v0.created,
      },
      {
        name: 'compute001',
        kind: 'compute',
        cloudName: 'old-compute001',
        state: 'unknown',
        publicIps: [],
        privateIps: [],
        runId: MIGRATED_RUN_ID,
        createdAt: v0.created,
      },
    ]);
    expect(state.paths).toEqual({
      privateKey: v0.user_key_private,
      publicKey: v0.user_key_public,
      knownHosts: join(dir, 'old.known_hosts'),
      inventory: join(dir, 'old.inventory'),
    });

    await repo.save(state);
    const written = JSON.parse(await readFile(join(dir, 'old.json'), 'utf8'));
    expect(written.version).toBe(STATE_VERSION);
    expect(written.templateName).toBe('slurm');
    expect(written).not.toHaveProperty('paths');
  });

  it('reads a version 1 file without its paths and ansible_command, and without an id', async () => {
    const repo = await StateRepository.open(dir);
    const { id: _, ...v2 } = storedSample(dir, 'v1');
    const v1 = {
      ...v2,
      version: 1,
      template: { ...v2.template, setup: { ...v2.template.setup, ansibleCommand: '/tmp/x/planted' } },
      paths: {
        privateKey: '/elsewhere/key',
        publicKey: '/elsewhere/key.pub',
        knownHosts: '/elsewhere/known_hosts',
        inventory: '/elsewhere/inventory',
      },
    };
    await writeFile(join(dir, 'v1.json'), JSON.stringify(v1));
    const state = await repo.load('v1');
    expect(state.version).toBe(STATE_VERSION);
    expect(state.id).toBeUndefined();
    expect(state.template.setup.ansibleCommand).toBeUndefined();
    expect(state.paths).toEqual(repo.pathsFor('v1'));
    await repo.save(state);
    const written = JSON.parse(await readFile(join(dir, 'v1.json'), 'utf8'));
    expect(written).not.toHaveProperty('paths');
    expect(written).not.toHaveProperty('id');
    expect(written.template.setup).not.toHaveProperty('ansibleCommand');
  });

  it('keeps the id of a cluster and never stores paths or an ansible_command', async () => {
    const repo = await StateRepository.open(dir);
    const state = sampleState(dir, 'c1');
    state.template = {
      ...state.template,
      setup: { ...state.template.setup, ansibleCommand: '/usr/local/bin/my-ansible' },
    };
    await repo.save(state);
    const written = JSON.parse(await readFile(join(dir, 'c1.json'), 'utf8'));
    expect(written.id).toBe('0a1b2c3d');
    expect(written).not.toHaveProperty('paths');
    expect(written.template.setup).not.toHaveProperty('ansibleCommand');
    const loaded = await repo.load('c1');
    expect(loaded.id).toBe('0a1b2c3d');
    expect(loaded.paths).toEqual(repo.pathsFor('c1'));
  });

  it('refuses a state file whose id is not 8 hex digits', async () => {
    const repo = await StateRepository.open(dir);
    await writeFile(join(dir, 'c1.json'), JSON.stringify({ ...storedSample(dir, 'c1'), id: '../x' }));
    const error = await caught(repo.load('c1'));
    expect(error.code).toBe('StateCorrupt');
    expect(error.message).toContain('/id must match pattern');
  });

  it('reports a version 0 file that is broken as corrupt', async () => {
    const repo = await StateRepository.open(dir);
    await writeFile(
      join(dir, 'old.json'),
      JSON.stringify({ version: 0, name: 'old', nodes: { compute: 'x' } }),
    );
    const error = await caught(repo.load('old'));
    expect(error.code).toBe('StateCorrupt');
    expect(error.message).toContain('"nodes.compute" is not a list');
  });
});

describe('remove', () => {
  it('deletes the state and per-cluster files, including a generated key pair', async () => {
    const repo = await StateRepository.open(dir);
    const paths = repo.pathsFor('c1');
    await repo.save(sampleState(dir, 'c1'));
    await repo.save(sampleState(dir, 'c2'));
    for (const file of Object.values(paths)) await writeFile(file, 'x');
    await repo.remove('c1');
    expect((await readdir(dir)).sort()).toEqual(['c2.json']);
    expect((await caught(repo.remove('c1'))).code).toBe('ClusterNotFound');
  });

  it('keeps a key pair the login section named', async () => {
    const repo = await StateRepository.open(join(dir, 'storage'));
    const userKey = join(dir, 'id_user');
    await writeFile(userKey, 'private');
    await writeFile(`${userKey}.pub`, 'public');
    const state = sampleState(repo.dir, 'c1');
    state.template = {
      ...state.template,
      login: { ...state.template.login, userKeyPrivate: userKey, userKeyPublic: `${userKey}.pub` },
    };
    await repo.save(state);
    expect((await repo.load('c1')).paths.privateKey).toBe(userKey);
    await writeFile(repo.pathsFor('c1').knownHosts, '');
    await repo.remove('c1');
    expect(await readdir(repo.dir)).toEqual([]);
    expect(await readFile(userKey, 'utf8')).toBe('private');
    expect(await readFile(`${userKey}.pub`, 'utf8')).toBe('public');
  });
});

describe('lock', () => {
  it('removes the temp files a killed writer left, but not fresh ones nor other files', async () => {
    const repo = await StateRepository.open(dir);
    await repo.save(sampleState(dir, 'c1'));
    const hourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const abandoned = [
      'c1.json.tmp-4242-0a1b2c3d',
      'c1.lock.tmp-4242-deadbeef',
      'c1.lock.gone.tmp-4242-00ff00ff',
    ];
    const kept = ['c1.json.tmp-4243-0a1b2c3e', 'c10.json.tmp-1-aa', 'c1.json.tmp-notes'];
    for (const name of [...abandoned, ...kept]) await writeFile(join(dir, name), 'x');
    for (const name of [...abandoned, 'c10.json.tmp-1-aa', 'c1.json.tmp-notes'])
      await utimes(join(dir, name), hourAgo, hourAgo);
    const lock = await repo.lock('c1');
    try {
      const left = await readdir(dir);
      for (const name of abandoned) expect(left).not.toContain(name);
      for (const name of kept) expect(left).toContain(name);
      expect(left).toContain('c1.json');
    } finally {
      await lock.release();
    }
  });
});
