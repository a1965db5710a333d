/** The `local` provider: real Debian 12 nodes in systemd-nspawn containers on this host. */
export { createLocalProvider, type LocalProviderOptions } from './provider.js';
export { LOCAL_DEFAULTS, LOCAL_IMAGES, type LocalImageName } from './settings.js';
