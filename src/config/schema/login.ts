/** `[login/NAME]` schema: how herd logs into nodes. */
import type { KeySchema, SectionSchema } from './types.js';

/**
 * A login name: letters, digits, `_`, `.` and `-`, not starting with `-` (ssh would read such a
 * name as an option), at most 32 characters (the Linux limit).
 */
const USER_NAME = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';
const USER_NAME_MAX = 32;

/** Why `name` is not a usable login name, or undefined. */
export function userNameProblem(name: string): string | undefined {
  if (name.length > USER_NAME_MAX) return `is longer than ${USER_NAME_MAX} characters`;
  if (!new RegExp(USER_NAME).test(name)) {
    return 'is not a user name (letters, digits, "_", "." and "-", not starting with "-")';
  }
  return undefined;
}

function userName(description: string, extra: Partial<KeySchema> = {}): KeySchema {
  return {
    type: 'string',
    minLength: 1,
    maxLength: USER_NAME_MAX,
    pattern: USER_NAME,
    hint: 'write a user name: letters, digits, "_", "." and "-", not starting with "-", e.g. debian',
    description,
    ...extra,
  };
}

/** Schema of `[login/NAME]`. */
export const LOGIN_SCHEMA: SectionSchema = {
  type: 'object',
  description: 'The user and SSH keys herd logs in with.',
  properties: {
    image_user: userName('Remote user herd connects as.'),
    image_sudo: {
      type: 'boolean',
      default: true,
      description: 'Whether image_user may become root with sudo.',
    },
    image_user_sudo: userName('The administrator account.', { default: 'root' }),
    image_userdata: { type: 'string', description: 'Script run as root when a node first boots.' },
    user_key_name: { type: 'string', minLength: 1, description: 'Key pair name on the cloud.' },
    user_key_private: {
      type: 'string',
      minLength: 1,
      description: 'Private key file; default: one generated per cluster.',
    },
    user_key_public: {
      type: 'string',
      minLength: 1,
      description: 'Public key file; default: <user_key_private>.pub.',
    },
  },
  required: ['image_user'],
  additionalProperties: false,
};
