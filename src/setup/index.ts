/** The Ansible setup stage: inventory and ansible-playbook runner. */
export { buildAnsibleInvocation, runAnsible } from './ansible.js';
export { renderInventory, writeInventory } from './inventory.js';
