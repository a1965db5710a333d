import { describe, expect, it } from 'vitest';
import { execOnCluster, splitGetWords, splitPutWords, sshTargetsFor } from '../../src/cluster/remote.js';
import { SshError, UsageError } from '../../src/errors.js';
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
  it('connects to the preferred address with the pinned key, and explains nodes it cannot reach', () => {
    const state = clusterState([
      node('frontend001', '10.0.0.2', { hostKey: 'ssh-ed25519 AAAA' }),
      node('compute001', '10.0.0.3'),
      node('compute002', undefined),
    ]);
    expect(sshTargetsFor(state, state.nodes)).toEqual([
      { name: 'frontend001', host: '10.0.0.2', hostKey: 'ssh-ed25519 AAAA' },
      {
        name: 'compute001',
        unavailable:
          'compute001 has no pinned SSH host key yet (state: ready); run "herd start slurm -n mycluster" to finish starting it',
      },
      {
        name: 'compute002',
        unavailable:
          'compute002 has no reachable address (state: failed); run "herd start slurm -n mycluster" to bring it up',
      },
    ]);
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
