/**
 * Which config keys hold secrets: the one definition used wherever herd must not interpolate, show,
 * store or pass a value on a command line (interpolation, validation messages, state redaction,
 * the Ansible inventory, config file permission warnings).
 */
import { CLOUD_SCHEMAS } from './schema/cloud.js';

/**
 * Key names that say they hold a secret: passwords (`password`, `ansible_become_pass`,
 * `ansible_ssh_pass`), passphrases, secrets, tokens, credentials and API keys. Matched anywhere in
 * the key, so that Ansible variables (`global_var_db_password`) count too.
 */
export const SECRET_KEY_PATTERN =
  /secret|passw(?:or)?d|passphrase|(?:^|_)pass(?:_|$)|token|credential|api_?key/i;

/** Keys the cloud schemas declare secret though their names do not say so (key ids, client ids). */
const DECLARED_SECRETS: ReadonlySet<string> = new Set(
  Object.values(CLOUD_SCHEMAS).flatMap((schema) =>
    Object.entries(schema.properties)
      .filter(([, key]) => key.secret === true)
      .map(([name]) => name),
  ),
);

/** True when the value of `key` is a secret: never interpolated, shown, stored or put on a command line. */
export function isSecretKey(key: string): boolean {
  return DECLARED_SECRETS.has(key.toLowerCase()) || SECRET_KEY_PATTERN.test(key);
}
