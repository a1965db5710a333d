import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userNameProblem } from '../../src/config/schema/login.js';
import { generateKeyPair } from '../../src/ssh/keys.js';
import { renderKnownHosts, writeKnownHosts } from '../../src/ssh/known-hosts.js';
import {
  ansibleSshArgs,
  buildSftpArgs,
  buildSshArgs,
  chooseSshTarget,
  expandProxyCommand,
  type OpenSshTarget,
  openSshTargetFor,
  shellQuote,
} from '../../src/ssh/openssh.js';
import { clusterState, node, template } from './fixtures.js';
import { type SshTestServer, startSshTestServer, testKeyPair } from './ssh-test-server.js';

const base: OpenSshTarget = {
  node: 'frontend001',
  ip: '10.77.0.5',
  user: 'debian',
  privateKeyPath: '/s/c.key',
  knownHostsPath: '/s/c.known_hosts',
};
const common = [
  '-i',
  '/s/c.key',
  '-o',
  'IdentitiesOnly=yes',
  '-o',
  'UserKnownHostsFile=/s/c.known_hosts',
  '-o',
  'GlobalKnownHostsFile=/dev/null',
  '-o',
  'KnownHostsCommand=none',
  '-o',
  'StrictHostKeyChecking=yes',
  '-o',
  'CheckHostIP=no',
  '-o',
  'UpdateHostKeys=no',
  '-o',
  'VerifyHostKeyDNS=no',
  '-o',
  'HostKeyAlias=frontend001',
];

describe('buildSshArgs / buildSftpArgs', () => {
  it.each([
    ['plain ssh', buildSshArgs(base), [...common, '-l', 'debian', '-p', '22', '--', '10.77.0.5']],
    [
      'ssh with a remote command',
      buildSshArgs(base, ['sinfo', '-N']),
      [...common, '-l', 'debian', '-p', '22', '--', '10.77.0.5', 'sinfo', '-N'],
    ],
    [
      'ssh options of the user before --, the command after it',
      buildSshArgs(base, ['-t', '-L', '8080:localhost:80', '-p2222', 'sudo', '-i']),
      [
        ...common,
        '-l',
        'debian',
        '-p',
        '22',
        '-t',
        '-L',
        '8080:localhost:80',
        '-p2222',
        '--',
        '10.77.0.5',
        'sudo',
        '-i',
      ],
    ],
    [
      'a -- of the user ends its options',
      buildSshArgs(base, ['-v', '--', '-weird-command']),
      [...common, '-l', 'debian', '-p', '22', '-v', '--', '10.77.0.5', '-weird-command'],
    ],
    [
      'ssh on another port',
      buildSshArgs({ ...base, port: 2222 }),
      [...common, '-l', 'debian', '-p', '2222', '--', '10.77.0.5'],
    ],
    [
      'sftp uses -P and puts args before the target',
      buildSftpArgs({ ...base, port: 2222 }, ['-b', 'batch']),
      [...common, '-o', 'User=debian', '-P', '2222', '-b', 'batch', '--', '10.77.0.5'],
    ],
    [
      'sftp brackets an IPv6 address',
      buildSftpArgs({ ...base, ip: 'fd00::5' }),
      [...common, '-o', 'User=debian', '-P', '22', '--', '[fd00::5]'],
    ],
    [
      'proxy command expanded, % kept literal for OpenSSH',
      buildSshArgs({ ...base, proxyCommand: 'ssh -W %h:%p %r@bastion -o X=100%%' }),
      [
        ...common,
        '-o',
        'ProxyCommand=ssh -W 10.77.0.5:22 debian@bastion -o X=100%%',
        '-l',
        'debian',
        '-p',
        '22',
        '--',
        '10.77.0.5',
      ],
    ],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('rejects an unknown token in ssh_proxy_command', () => {
    expect(() => expandProxyCommand('nc %h %x', { host: 'a', port: 22, user: 'u' })).toThrow(
      /ssh_proxy_command: unknown token "%x"/,
    );
  });
});

describe('chooseSshTarget', () => {
  const nodes = [
    node('compute002', '10.0.0.3'),
    node('compute001', '10.0.0.2'),
    node('frontend001', undefined),
    node('frontend002', '10.0.0.5'),
    node('aaa001', '10.0.0.9'),
  ];
  it.each([
    ['-n as a node name', nodes, undefined, 'compute002', 'compute002'],
    ['-n as a kind: its first reachable node', nodes, undefined, 'compute', 'compute001'],
    ['ssh_to as a kind', nodes, 'compute', undefined, 'compute001'],
    ['-n wins over ssh_to', nodes, 'compute', 'aaa', 'aaa001'],
    ['default: first reachable frontend', nodes, undefined, undefined, 'frontend002'],
    ['login before frontend', [...nodes, node('login001', '10.0.0.7')], undefined, undefined, 'login001'],
    [
      'ssh before login',
      [node('login001', '1.1.1.1'), node('ssh001', '1.1.1.2')],
      undefined,
      undefined,
      'ssh001',
    ],
    [
      'master when no frontend',
      [node('master001', '1.1.1.1'), node('aaa001', '1.1.1.2')],
      undefined,
      undefined,
      'master001',
    ],
    [
      'else the alphabetically first kind',
      [node('zeta001', '1.1.1.1'), node('compute001', '1.1.1.2')],
      undefined,
      undefined,
      'compute001',
    ],
  ])('%s', (_name, list, sshTo, wanted, expected) => {
    const state = clusterState(list, template({ cluster: { ...template().cluster, sshTo } }));
    expect(chooseSshTarget(state, wanted).name).toBe(expected);
  });

  it('rejects an unknown node or kind, listing the valid ones', () => {
    const state = clusterState(nodes);
    expect(() => chooseSshTarget(state, 'gpu')).toThrow(
      /-n gpu: cluster mycluster has no reachable node or kind named "gpu"/,
    );
    try {
      chooseSshTarget(state, 'gpu');
    } catch (error) {
      expect(error).toMatchObject({
        code: 'UsageError',
        exitCode: 2,
        hint: 'Valid nodes: aaa001, compute001, compute002, frontend002. Valid kinds: aaa, compute, frontend.',
      });
    }
  });

  it('names ssh_to when the configured target does not exist', () => {
    const state = clusterState(nodes, template({ cluster: { ...template().cluster, sshTo: 'gpu' } }));
    expect(() => chooseSshTarget(state)).toThrow(/ssh_to=gpu in \[cluster\/slurm\]/);
  });
});

describe('ansibleSshArgs', () => {
  it('pins the known_hosts and shares no connection, quoting paths for shlex', () => {
    expect(ansibleSshArgs({ knownHostsPath: '/my dir/c.known_hosts' }).map(shellQuote).join(' ')).toBe(
      "-o ControlMaster=no -o ControlPath=none -o IdentitiesOnly=yes -o 'UserKnownHostsFile=/my dir/c.known_hosts' -o GlobalKnownHostsFile=/dev/null -o KnownHostsCommand=none -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no -o VerifyHostKeyDNS=no",
    );
  });
  it('passes the proxy command for OpenSSH to expand per host', () => {
    expect(
      ansibleSshArgs({ knownHostsPath: '/k', proxyCommand: 'ssh -W %h:%p bastion' })
        .map(shellQuote)
        .join(' '),
    ).toMatch(/ -o 'ProxyCommand=ssh -W %h:%p bastion'$/);
  });
});

describe('image_user that looks like an option', () => {
  const state = clusterState(
    [node('frontend001', '10.0.0.2')],
    template({ login: { ...template().login, imageUser: '-oProxyCommand=touch /tmp/x' } }),
  );
  it('is refused for ssh and sftp, even from a state file written before the config checked it', () => {
    expect(() => openSshTargetFor(state, state.nodes[0]!)).toThrow(
      /image_user "-oProxyCommand=touch \/tmp\/x", which is not a user name/,
    );
  });
  it('is refused by the login schema', () => {
    expect(userNameProblem('-oProxyCommand=x')).toMatch(/not starting with "-"/);
    expect(userNameProblem('ec2-user')).toBeUndefined();
    expect(userNameProblem('a'.repeat(33))).toMatch(/longer than 32/);
  });
  it('is at worst the value of -l, never an option, even if it got through', () => {
    const args = buildSshArgs({ ...base, user: '-oProxyCommand=touch /tmp/x' });
    expect(args.slice(args.indexOf('-l'), args.indexOf('-l') + 2)).toEqual([
      '-l',
      '-oProxyCommand=touch /tmp/x',
    ]);
  });
  it('a state address that is not an IP is refused', () => {
    const bad = clusterState([node('frontend001', '-oProxyCommand=x')]);
    expect(() => openSshTargetFor(bad, bad.nodes[0]!)).toThrow(/no valid IP address/);
  });
});

describe('known_hosts', () => {
  it('writes one "<node> <type> <base64>" line per node with a key, mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-kh-'));
    try {
      const path = join(dir, 'sub', 'c.known_hosts');
      await writeKnownHosts(path, [
        { name: 'frontend001', hostKey: 'ssh-ed25519 AAAAC3Nza1 comment' },
        { name: 'compute001' },
        { name: 'compute002', hostKey: 'ssh-rsa AAAAB3Nza2' },
      ]);
      expect(await readFile(path, 'utf8')).toBe(
        'frontend001 ssh-ed25519 AAAAC3Nza1\ncompute002 ssh-rsa AAAAB3Nza2\n',
      );
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(renderKnownHosts([])).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the real OpenSSH client with these arguments', () => {
  let dir: string;
  let server: SshTestServer;
  let target: OpenSshTarget;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-openssh-'));
    const keys = await generateKeyPair(join(dir, 'id'), 'test');
    server = await startSshTestServer({ authorizedKeys: [keys.publicKey] });
    target = {
      node: 'frontend001',
      ip: '127.0.0.1',
      port: server.port,
      user: 'herd',
      privateKeyPath: keys.privatePath,
      knownHostsPath: join(dir, 'known_hosts'),
    };
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const runSsh = (args: string[]) =>
    execa('ssh', ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', ...args], {
      reject: false,
      stdin: 'ignore',
      timeout: 20_000,
    });

  it('connects when known_hosts pins the node name to its key', async () => {
    await writeKnownHosts(target.knownHostsPath, [{ name: 'frontend001', hostKey: server.hostKey }]);
    const result = await runSsh(buildSshArgs(target, ['echo', 'hello-from-node']));
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('hello-from-node');
    // The file is untouched: OpenSSH added no IP-keyed line.
    expect(await readFile(target.knownHostsPath, 'utf8')).toBe(`frontend001 ${server.hostKey}\n`);
  });

  it('refuses a node whose key differs from the pinned one', async () => {
    const other = ssh2.utils.parseKey(testKeyPair().public) as ssh2.ParsedKey;
    await writeKnownHosts(target.knownHostsPath, [
      { name: 'frontend001', hostKey: `ssh-ed25519 ${other.getPublicSSH().toString('base64')}` },
    ]);
    const before = server.commands.length;
    const result = await runSsh(buildSshArgs(target, ['echo', 'hello']));
    expect(result.exitCode).toBe(255);
    expect(result.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
    expect(result.stderr).toMatch(/Host key verification failed/);
    expect(server.commands.length).toBe(before);
  });

  it('never runs a ProxyCommand smuggled in as the user name', async () => {
    await writeKnownHosts(target.knownHostsPath, [{ name: 'frontend001', hostKey: server.hostKey }]);
    const marker = join(dir, 'pwned');
    const result = await runSsh(
      buildSshArgs({ ...target, user: `-oProxyCommand=touch ${marker}` }, ['true']),
    );
    expect(result.exitCode).not.toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('pwned'))).toEqual([]);
    const sftp = await execa(
      'sftp',
      ['-b', '-', ...buildSftpArgs({ ...target, user: `-oProxyCommand=touch ${marker}` })],
      {
        reject: false,
        input: 'bye\n',
        timeout: 20_000,
      },
    );
    expect(sftp.exitCode).not.toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('pwned'))).toEqual([]);
  });

  it('refuses a node that has no line (the key is keyed by node name, not IP)', async () => {
    await writeKnownHosts(target.knownHostsPath, [{ name: '127.0.0.1', hostKey: server.hostKey }]);
    const result = await runSsh(buildSshArgs(target, ['true']));
    expect(result.exitCode).toBe(255);
    expect(result.stderr).toMatch(/No ED25519 host key is known for frontend001/);
  });
});
