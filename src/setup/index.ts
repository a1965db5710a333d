/** The Ansible setup stage: inventory and ansible-playbook runner. */
export { buildAnsibleInvocation, runAnsible } from './ansible.js';
export { stopOrphanedAnsible } from './ansible-pid.js';
export { renderInventory, writeInventory } from './inventory.js';
