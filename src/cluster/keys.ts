import { access, readFile } from 'node:fs/promises';
import type { Template } from '../config/types.js';
import { ConfigError } from '../errors.js';
import type { ClusterPaths } from '../state/types.js';
import type { KeyGenerator } from './deps.js';

/**
 * Decides which key pair a cluster uses: the login section's (`user_key_private`/`user_key_public`) or one
 * generated for the cluster in the storage dir. Returns the paths and the public key text.
 */
export async function ensureKeyPair(
  template: Template,
  storagePaths: ClusterPaths,
  generate: KeyGenerator,
  cluster: string,
): Promise<{ paths: ClusterPaths; publicKey: string }> {
  const login = template.login;
  if (login.userKeyPrivate) {
    const publicPath = login.userKeyPublic ?? `${login.userKeyPrivate}.pub`;
    for (const [key, path] of [
      ['user_key_private', login.userKeyPrivate],
      ['user_key_public', publicPath],
    ] as const) {
      try {
        await access(path);
      } catch {
        throw new ConfigError(
          [
            {
              section: `login/${login.name}`,
              key,
              message: `the key file ${path} does not exist or is not readable.`,
            },
          ],
          {
            hint: `Create it with: ssh-keygen -t ed25519 -f ${login.userKeyPrivate}, or remove user_key_private to let herd generate a key per cluster.`,
          },
        );
      }
    }
    const publicKey = (await readFile(publicPath, 'utf8')).trim();
    return { paths: { ...storagePaths, privateKey: login.userKeyPrivate, publicKey: publicPath }, publicKey };
  }
  try {
    await access(storagePaths.privateKey);
  } catch {
    await generate(storagePaths.privateKey, cluster);
  }
  const publicKey = (await readFile(storagePaths.publicKey, 'utf8')).trim();
  return { paths: storagePaths, publicKey };
}
