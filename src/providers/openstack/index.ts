export type { OpenStackProviderOptions } from './provider.js';
export { createOpenStackProvider } from './provider.js';
