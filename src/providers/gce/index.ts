/** The `google` provider (alias `gce`): Compute Engine instances created with instances.bulkInsert. */
export type { GceApi } from './api.js';
export { PUBLIC_IMAGE_PROJECTS, resolveImage } from './image.js';
export { createGceProvider, type GceProviderOptions } from './provider.js';
