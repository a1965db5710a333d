/**
 * `GceApi` on @google-cloud/compute (REST transport). One InstancesClient and one
 * ZoneOperationsClient serve every call of a provider, in parallel: no lock around them.
 * The SDK is imported here only, when the first GCE call is made, and only the clients herd uses:
 * the package's index also loads every other client, the v1beta and v1small APIs and a 30 MB
 * protos.js, which took longer (1.2 s of 2.8 s, load average 8) than herd's own calls.
 */
import type { AuthClient } from 'google-auth-library';
import type {
  GceApi,
  GceBulkInsertResource,
  GceImage,
  GceInstance,
  GceMachineType,
  GceOperation,
  GceRegion,
  GceZone,
} from './api.js';
import type { GceEndpoint } from './settings.js';

/** Page size of instances.list (the API's maximum). */
export const LIST_PAGE_SIZE = 500;

/** Creates the SDK-backed API for a project. */
export async function createSdkApi(options: {
  project: string;
  endpoint: GceEndpoint | undefined;
  authClient: AuthClient;
}): Promise<GceApi> {
  const [
    { ImagesClient },
    { InstancesClient },
    { MachineTypesClient },
    { RegionsClient },
    { ZoneOperationsClient },
    { ZonesClient },
  ] = await Promise.all([
    import('@google-cloud/compute/build/src/v1/images_client.js'),
    import('@google-cloud/compute/build/src/v1/instances_client.js'),
    import('@google-cloud/compute/build/src/v1/machine_types_client.js'),
    import('@google-cloud/compute/build/src/v1/regions_client.js'),
    import('@google-cloud/compute/build/src/v1/zone_operations_client.js'),
    import('@google-cloud/compute/build/src/v1/zones_client.js'),
  ]);
  const clientOptions = {
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's AuthClient type comes from its own copy of the library.
    authClient: options.authClient as any,
    ...(options.endpoint
      ? {
          apiEndpoint: options.endpoint.apiEndpoint,
          protocol: options.endpoint.protocol,
          ...(options.endpoint.port ? { port: options.endpoint.port } : {}),
        }
      : {}),
  };
  const instances = new InstancesClient(clientOptions);
  const operations = new ZoneOperationsClient(clientOptions);
  // Clients of the read-only lookups, made on first use: a start never needs them.
  let lookups:
    | {
        zones: InstanceType<typeof ZonesClient>;
        regions: InstanceType<typeof RegionsClient>;
        images: InstanceType<typeof ImagesClient>;
        machineTypes: InstanceType<typeof MachineTypesClient>;
      }
    | undefined;
  const lookup = () => {
    lookups ??= {
      zones: new ZonesClient(clientOptions),
      regions: new RegionsClient(clientOptions),
      images: new ImagesClient(clientOptions),
      machineTypes: new MachineTypesClient(clientOptions),
    };
    return lookups;
  };
  const project = options.project;

  // The SDK returns protobuf objects (extra `_field` keys, enums as strings): read them as JSON shapes.
  const op = (value: unknown): GceOperation => value as GceOperation;
  const latest = (lro: unknown): GceOperation =>
    op((lro as { latestResponse?: unknown }).latestResponse ?? lro);

  return {
    async bulkInsert(zone: string, resource: GceBulkInsertResource, requestId: string) {
      const [lro] = await instances.bulkInsert({
        project,
        zone,
        requestId,
        bulkInsertInstanceResourceResource: resource,
      });
      return latest(lro);
    },
    async waitOperation(zone: string, operation: string) {
      const [result] = await operations.wait({ project, zone, operation });
      return op(result);
    },
    async listInstances(zone: string, filter: string) {
      const [items] = await instances.list(
        { project, zone, filter, maxResults: LIST_PAGE_SIZE },
        { autoPaginate: true },
      );
      return items as unknown as GceInstance[];
    },
    async deleteInstance(zone: string, name: string) {
      const [lro] = await instances.delete({ project, zone, instance: name });
      return latest(lro);
    },
    async stopInstance(zone: string, name: string) {
      const [lro] = await instances.stop({ project, zone, instance: name });
      return latest(lro);
    },
    async startInstance(zone: string, name: string) {
      const [lro] = await instances.start({ project, zone, instance: name });
      return latest(lro);
    },
    async getZone(zone: string) {
      const [result] = await lookup().zones.get({ project, zone });
      return result as unknown as GceZone;
    },
    async getRegion(region: string) {
      const [result] = await lookup().regions.get({ project, region });
      return result as unknown as GceRegion;
    },
    async getImage(imageProject: string, name: string, family: boolean) {
      const [result] = family
        ? await lookup().images.getFromFamily({ project: imageProject, family: name })
        : await lookup().images.get({ project: imageProject, image: name });
      return result as unknown as GceImage;
    },
    async getMachineType(zone: string, name: string) {
      const [result] = await lookup().machineTypes.get({ project, zone, machineType: name });
      return result as unknown as GceMachineType;
    },
    async close() {
      const extra = lookups ? Object.values(lookups).map((c) => c.close()) : [];
      await Promise.all([instances.close(), operations.close(), ...extra]);
    },
  };
}
