/** SSH: probing, host key pinning, key pairs and OpenSSH argument vectors. */
export { generateKeyPair, loadKeyPair, readPublicKey } from './keys.js';
export { renderKnownHosts, writeKnownHosts } from './known-hosts.js';
export { buildSftpArgs, buildSshArgs, chooseSshTarget, openSshTargetFor } from './openssh.js';
export { probeNode } from './probe.js';
export { waitForSsh } from './wait-for-ssh.js';
