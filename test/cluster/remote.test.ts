import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { execOnCluster, splitGetWords, splitPutWords, sshTargetsFor } from '../../src/cluster/remote.js';
import { SshError, UsageError } from '../../src/errors.js';
import { generateKeyPair } from '../../src/ssh/keys.js';
import { knownHostKeys } from '../../src/ssh/known-hosts.js';
import { clusterState, node } from '../ssh/fixtures.js';

describe('splitPutWords', () => {
  const exists = (path: string) => path.startsWith('./');
  it.each<[string[], { selector: string[]; locals: string[]; remote: string }]>([
    [['./a', '/tmp/'], { selector: [], locals: ['./a'], remote: '/tmp/' }],
    [['./a', './b', '/tmp/'], { selector: [], locals: ['./a', './b'], remote: '/tmp/' }],
    [
      ['compute[001-002]', './a', '/tmp/'],
      { selector: ['compute[001-002]'], locals: ['./a'], remote: '/tmp/' },
    ],
    [['compute001', './a', './b', 'x/'], { selector: ['compute001'], locals: ['./a', './b'], remote: 'x/' }],
  ])('%j', (words, expected) => {
    expect(splitPutWords(words, exists)).toEqual(expected);
  });

  it('needs a local and a remote path', () => {
    expect(() => splitPutWords(['./a'], exists)).toThrow(UsageError);
  });
});

describe('splitGetWords', () => {
  it('takes an optional selector, then REMOTE and LOCALDIR', () => {
    expect(splitGetWords(['/etc/hosts', 'out'])).toEqual({
      selector: [],
      remote: '/etc/hosts',
      localDir: 'out',
    });
    expect(splitGetWords(['compute*', '/etc/hosts', 'out'])).toEqual({
      selector: ['compute*'],
      remote: '/etc/hosts',
      localDir: 'out',
    });
    expect(() => splitGetWords(['/etc/hosts'])).toThrow(/get takes \[SELECTOR\] REMOTE LOCALDIR, got 1 word/);
    expect(() => splitGetWords(['a', 'b', 'c', 'd'])).toThrow(UsageError);
  });
});

describe('sshTargetsFor', () => {
  it('accepts the key known_hosts pins for the node name, as herd ssh does, and explains the rest', () => {
    const state = clusterState([
      node('frontend001', '10.0.0.2', { hostKey: 'ssh-ed25519 AAAA' }),
      node('compute001', '10.0.0.3', { hostKey: 'ssh-ed25519 CCCC' }),
      node('compute002', undefined),
      node('compute003', '10.0.0.5', { hostKey: 'ssh-ed25519 EEEE' }),
      node('compute004', '10.0.0.6', { hostKey: 'ssh-ed25519 FFFF' }),
      node('compute005', '10.0.0.7', { hostKey: 'ssh-ed25519 GGGG' }),
    ]);
    const knownHosts = [
      '# herd',
      'frontend001 ssh-ed25519 AAAA',
      // The file wins over state: it is what herd ssh checks against.
      'compute003 ssh-ed25519 DDDD',
      '!compute004,compute00* ssh-ed25519 FFFF',
      'compute005 ssh-ed25519 GGGG',
      '@revoked compute005 ssh-ed25519 GGGG',
      '',
    ].join('\n');
    const where = state.paths.knownHosts;
    const start = 'run "herd start slurm -n mycluster"';
    expect(sshTargetsFor(state, state.nodes, knownHosts)).toEqual([
      { name: 'frontend001', host: '10.0.0.2', hostKey: 'ssh-ed25519 AAAA' },
      {
        name: 'compute001',
        code: 'HostKeyUnknown',
        unavailable: `no host key is pinned for it in ${where} (herd ssh would refuse it too); ${start} to finish starting it`,
      },
      {
        name: 'compute002',
        code: 'NoAddress',
        unavailable: `no reachable address (state: failed); ${start} to bring it up`,
      },
      { name: 'compute003', host: '10.0.0.5', hostKey: 'ssh-ed25519 DDDD' },
      {
        name: 'compute004',
        code: 'HostKeyUnknown',
        unavailable: `no host key is pinned for it in ${where} (herd ssh would refuse it too); ${start} to finish starting it`,
      },
      {
        name: 'compute005',
        code: 'HostKeyUnknown',
        unavailable: `no host key is pinned for it in ${where} (herd ssh would refuse it too); ${start} to finish starting it`,
      },
    ]);
  });

  it('matches names ssh-keygen -H hashed, and picks the key seen at start among several', async () => {
    const state = clusterState([node('frontend001', '10.0.0.2', { hostKey: 'ssh-ed25519 BBBB' })]);
    const dir = await mkdtemp(join(tmpdir(), 'herd-known-hosts-'));
    try {
      const file = join(dir, 'known_hosts');
      const { publicKey } = await generateKeyPair(join(dir, 'id'), 'x');
      await writeFile(file, `frontend001 ${publicKey}\n`);
      await execa('ssh-keygen', ['-H', '-f', file]);
      const text = await readFile(file, 'utf8');
      expect(text).not.toContain('frontend001');
      const [type, base64] = publicKey.split(' ');
      expect(knownHostKeys(text, 'frontend001')).toEqual([`${type} ${base64}`]);
      expect(knownHostKeys(text, 'frontend002')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const hashed = `frontend001 ssh-ed25519 BBBB\nfrontend001 ssh-rsa AAAA\n`;
    expect(sshTargetsFor(state, state.nodes, hashed)).toEqual([
      { name: 'frontend001', host: '10.0.0.2', hostKey: 'ssh-ed25519 BBBB' },
    ]);
    const other = clusterState([node('frontend001', '10.0.0.2', { hostKey: 'ssh-ed25519 ZZZZ' })]);
    expect(sshTargetsFor(other, other.nodes, hashed)[0]).toMatchObject({
      unavailable: expect.stringContaining('pins 2 keys for it, none the one herd saw at start'),
    });
  });

  it('says which key file is missing, before connecting anywhere', async () => {
    const state = clusterState([node('frontend001', '10.0.0.2', { hostKey: 'ssh-ed25519 AAAA' })]);
    const error = await execOnCluster({
      state,
      selector: { words: [], kinds: [], all: false },
      fanout: 4,
      command: 'true',
    }).catch((e) => e);
    expect(error).toBeInstanceOf(SshError);
    expect(error.code).toBe('SshKeyMissing');
    expect(error.message).toContain('/var/lib/herd/mycluster.key: ENOENT');
  });
});
