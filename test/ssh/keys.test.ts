import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { generateKeyPair, loadKeyPair, readPublicKey } from '../../src/ssh/keys.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateKeyPair', () => {
  it('creates an ed25519 pair with mode 0600 and comment herd-<cluster>, and reuses it', async () => {
    const path = join(dir, 'gen', 'mycluster.key');
    const first = await generateKeyPair(path, 'mycluster');
    expect(first.publicPath).toBe(`${path}.pub`);
    expect(first.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ herd-mycluster$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    const again = await generateKeyPair(path, 'mycluster');
    expect(again.publicKey).toBe(first.publicKey);
    expect(await loadKeyPair({ privatePath: path })).toMatchObject({ publicKey: first.publicKey });
  });
});

describe('loadKeyPair', () => {
  it('accepts an RSA pair as ssh-keygen writes it', async () => {
    const path = join(dir, 'id_rsa');
    await execa('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', path]);
    const pair = await loadKeyPair({ privatePath: path, section: 'login/debian' });
    expect(pair.publicKey).toMatch(/^ssh-rsa /);
    expect(pair.privateKey.toString()).toMatch(/OPENSSH PRIVATE KEY/);
  });

  it.each([
    [
      'a missing private key',
      async () => ({ privatePath: join(dir, 'nope') }),
      'user_key_private',
      /nope does not exist/,
    ],
    [
      'a passphrase-protected key',
      async () => {
        const p = join(dir, 'enc');
        await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', p]);
        return { privatePath: p };
      },
      'user_key_private',
      /is protected by a passphrase/,
    ],
    [
      'a missing public key',
      async () => {
        const p = join(dir, 'nopub');
        await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', p]);
        await rm(`${p}.pub`);
        return { privatePath: p };
      },
      'user_key_public',
      /nopub\.pub does not exist/,
    ],
    [
      'a public key of another pair',
      async () => {
        const a = await generateKeyPair(join(dir, 'a'), 'x');
        const b = await generateKeyPair(join(dir, 'b'), 'x');
        return { privatePath: a.privatePath, publicPath: b.publicPath };
      },
      'user_key_public',
      /b\.pub does not match the private key .*\/a\./,
    ],
    [
      'a public key given as the private key',
      async () => ({ privatePath: (await generateKeyPair(join(dir, 'c'), 'x')).publicPath }),
      'user_key_private',
      /holds a public key/,
    ],
  ])('rejects %s, naming the key and the path', async (_name, setup, key, message) => {
    const options = await setup();
    const error = await loadKeyPair({ ...options, section: 'login/debian' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const problem = (error as ConfigError).problems[0]!;
    expect(problem).toMatchObject({ section: 'login/debian', key });
    expect(problem.message).toMatch(message);
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it('reports an unreadable public key file as not a public key', async () => {
    const p = join(dir, 'garbage.pub');
    await writeFile(p, 'hello world\n');
    await chmod(p, 0o600);
    await expect(readPublicKey(p)).rejects.toThrow(
      /user_key_public: the key file .*garbage\.pub is not an OpenSSH public key/,
    );
  });
});
