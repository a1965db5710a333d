/** `[login/NAME]` schema: how herd logs into nodes. */
import type { SectionSchema } from './types.js';

/** Schema of `[login/NAME]`. */
export const LOGIN_SCHEMA: SectionSchema = {
  type: 'object',
  description: 'The user and SSH keys herd logs in with.',
  properties: {
    image_user: { type: 'string', minLength: 1, description: 'Remote user herd connects as.' },
    image_sudo: {
      type: 'boolean',
      default: true,
      description: 'Whether image_user may become root with sudo.',
    },
    image_user_sudo: {
      type: 'string',
      minLength: 1,
      default: 'root',
      description: 'The administrator account.',
    },
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
