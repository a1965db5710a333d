/** `[setup/NAME]` schema: how Ansible configures the nodes. */
import type { SectionSchema } from './types.js';

/** Schema of `[setup/NAME]`. */
export const SETUP_SCHEMA: SectionSchema = {
  type: 'object',
  description: 'Ansible groups per kind of node, and how to run ansible-playbook.',
  properties: {
    provider: {
      type: 'string',
      enum: ['ansible'],
      default: 'ansible',
      description: 'Setup driver (only ansible).',
    },
    playbook_path: {
      type: 'string',
      minLength: 1,
      description: 'Playbook to run; default: the bundled site.yml.',
    },
    ansible_command: { type: 'string', minLength: 1, description: 'ansible-playbook executable.' },
    ansible_extra_args: {
      type: 'string',
      description: 'Extra ansible-playbook arguments (shell-style quoting).',
    },
    slow_but_safer: {
      type: 'boolean',
      description:
        "ElastiCluster's switch to install packages without eatmydata; accepted, and always the case with herd.",
    },
  },
  patternProperties: {
    '^global_var_.+$': { type: 'string', description: 'Ansible variable for every node.' },
    '^.+_groups$': {
      type: 'string',
      description: '<kind>_groups: comma-separated Ansible groups of that kind.',
    },
    '^.+_var_.+$': {
      type: 'string',
      description: '<kind>_var_<name>: Ansible variable for nodes of that kind.',
    },
    '^ansible_.+$': {
      type: 'string',
      description: 'ansible_<x>: host variable, and ANSIBLE_<X> for the run.',
    },
  },
  additionalProperties: false,
};
