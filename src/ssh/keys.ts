/**
 * The cluster's login key pair: generated with ssh-keygen when the login section names none, or
 * read from `user_key_private` / `user_key_public` and checked before any node is created, so a
 * typo in a path fails in a second instead of after every node has booted.
 */
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { ConfigError, HostRequirementError } from '../errors.js';
import { pathExists } from '../util/path-exists.js';

/** A usable key pair. */
export interface KeyPair {
  privatePath: string;
  publicPath: string;
  /** The public key line, `<type> <base64> [comment]`. */
  publicKey: string;
}

/** Where a key path came from, for error messages (`[login/NAME] user_key_private`). */
export interface KeySource {
  /** Login section name as written, e.g. `login/debian`. */
  section?: string;
  /** Config key that named the path. */
  key: 'user_key_private' | 'user_key_public';
}

/**
 * Creates an ed25519 key pair (`<privatePath>` and `<privatePath>.pub`, mode 0600) with comment
 * `herd-<cluster>`. Idempotent: an existing pair is reused, so a resumed start keeps its key.
 */
export async function generateKeyPair(privatePath: string, cluster: string): Promise<KeyPair> {
  const publicPath = `${privatePath}.pub`;
  if ((await pathExists(privatePath)) && (await pathExists(publicPath))) {
    return { privatePath, publicPath, publicKey: await readPublicKey(publicPath) };
  }
  await mkdir(dirname(privatePath), { recursive: true, mode: 0o700 });
  // ssh-keygen asks before overwriting and writes two files: generate under a temp name, then rename.
  const temp = `${privatePath}.${process.pid}.tmp`;
  await rm(temp, { force: true });
  await rm(`${temp}.pub`, { force: true });
  try {
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `herd-${cluster}`, '-f', temp], {
      stdin: 'ignore',
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new HostRequirementError(
        'ssh-keygen is not installed; herd needs it to create the cluster key.',
        {
          hint: 'Install the Debian package openssh-client (apt-get install openssh-client).',
          cause: error,
        },
      );
    }
    throw error;
  }
  await rename(`${temp}.pub`, publicPath);
  await rename(temp, privatePath);
  return { privatePath, publicPath, publicKey: await readPublicKey(publicPath) };
}

/** Reads a one-line OpenSSH public key and returns it trimmed; errors name the config key and path. */
export async function readPublicKey(
  path: string,
  source: KeySource = { key: 'user_key_public' },
): Promise<string> {
  const line = (await readKeyFile(path, source)).toString('utf8').trim();
  const parsed = ssh2.utils.parseKey(line);
  if (parsed instanceof Error || (Array.isArray(parsed) ? parsed[0] : parsed)?.isPrivateKey()) {
    throw keyProblem(
      source,
      path,
      'is not an OpenSSH public key (expected one line like "ssh-ed25519 AAAA... comment").',
    );
  }
  return line;
}

/**
 * Checks a configured key pair: the private key is readable, unencrypted and in a format ssh2 can
 * use (OpenSSH or PEM; ed25519, RSA, ECDSA), and the public key (default `<private>.pub`) is its
 * half. Returns the private key text and the public key line.
 */
export async function loadKeyPair(options: {
  privatePath: string;
  publicPath?: string | undefined;
  section?: string;
}): Promise<KeyPair & { privateKey: Buffer }> {
  const privateSource: KeySource = { key: 'user_key_private', ...sectionOf(options.section) };
  const publicSource: KeySource = { key: 'user_key_public', ...sectionOf(options.section) };
  const privateKey = await readKeyFile(options.privatePath, privateSource);
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    const encrypted = /passphrase/i.test(parsed.message);
    throw keyProblem(
      privateSource,
      options.privatePath,
      encrypted
        ? 'is protected by a passphrase; herd needs an unencrypted key (or remove the key setting to let herd create one).'
        : `is not a private key herd can use (${parsed.message}).`,
    );
  }
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  if (!key.isPrivateKey()) {
    throw keyProblem(
      privateSource,
      options.privatePath,
      'holds a public key; point it at the private key file.',
    );
  }
  const publicPath = options.publicPath ?? `${options.privatePath}.pub`;
  const publicKey = await readPublicKey(publicPath, publicSource);
  const expected = key.getPublicSSH().toString('base64');
  if (publicKey.split(/\s+/)[1] !== expected) {
    throw keyProblem(publicSource, publicPath, `does not match the private key ${options.privatePath}.`);
  }
  return { privatePath: options.privatePath, publicPath, publicKey, privateKey };
}

async function readKeyFile(path: string, source: KeySource): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable by this user'
          : `cannot be read (${(error as Error).message})`;
    throw keyProblem(source, path, `${why}.`, error);
  }
}

function keyProblem(source: KeySource, path: string, what: string, cause?: unknown): ConfigError {
  return new ConfigError(
    [{ ...sectionOf(source.section), key: source.key, message: `the key file ${path} ${what}` }],
    {
      hint: `Fix ${source.key} in the login section, or remove user_key_private and user_key_public to let herd generate a key for the cluster.`,
      cause,
    },
  );
}

function sectionOf(section: string | undefined): { section?: string } {
  return section === undefined ? {} : { section };
}
