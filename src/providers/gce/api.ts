/**
 * The narrow slice of the Compute Engine v1 API herd uses, as plain JSON shapes (the REST
 * resources' field names, int64 as strings). The provider talks only to `GceApi`; the SDK-backed
 * implementation lives in sdk-api.ts, and a test can pass its own.
 */

/** An AttachedDisk of InstanceProperties (only the fields herd sets). */
export interface GceAttachedDisk {
  boot?: boolean;
  autoDelete?: boolean;
  type?: 'PERSISTENT' | 'SCRATCH';
  interface?: 'SCSI' | 'NVME';
  initializeParams?: { sourceImage?: string; diskSizeGb?: string; diskType?: string };
}

/** A network interface as herd sends it and as GCE returns it. */
export interface GceNetworkInterface {
  network?: string;
  subnetwork?: string;
  networkIP?: string;
  accessConfigs?: { type?: string; name?: string; natIP?: string }[];
}

/** InstanceProperties of a bulkInsert (the fields herd sets). */
export interface GceInstanceProperties {
  machineType: string;
  labels: Record<string, string>;
  disks: GceAttachedDisk[];
  networkInterfaces: GceNetworkInterface[];
  metadata: { items: { key: string; value: string }[] };
  tags?: { items: string[] };
  scheduling?: {
    preemptible?: boolean;
    automaticRestart?: boolean;
    onHostMaintenance?: 'MIGRATE' | 'TERMINATE';
    provisioningModel?: 'STANDARD' | 'SPOT';
    instanceTerminationAction?: 'STOP' | 'DELETE';
  };
  guestAccelerators?: { acceleratorType: string; acceleratorCount: number }[];
  minCpuPlatform?: string;
}

/** The body of `instances.bulkInsert` (BulkInsertInstanceResource). */
export interface GceBulkInsertResource {
  count: string;
  minCount: string;
  perInstanceProperties: Record<string, Record<string, never>>;
  instanceProperties: GceInstanceProperties;
}

/** An Instance as `instances.list` returns it (the fields herd reads). */
export interface GceInstance {
  name: string;
  status?: string;
  statusMessage?: string;
  zone?: string;
  machineType?: string;
  labels?: Record<string, string>;
  networkInterfaces?: GceNetworkInterface[];
}

/** One entry of Operation.error.errors. */
export interface GceOperationError {
  code: string;
  message?: string;
}

/** A zonal Operation (the fields herd reads). */
export interface GceOperation {
  name: string;
  status?: string;
  operationType?: string;
  targetLink?: string;
  error?: { errors: GceOperationError[] };
  httpErrorStatusCode?: number;
  httpErrorMessage?: string;
}

/** A Zone (the fields herd reads). */
export interface GceZone {
  name: string;
  status?: string;
  region?: string;
}

/** One quota of a Region. */
export interface GceQuota {
  metric: string;
  limit: number;
  usage: number;
}

/** A Region (the fields herd reads). */
export interface GceRegion {
  name: string;
  status?: string;
  quotas?: GceQuota[];
}

/** An Image (the fields herd reads). */
export interface GceImage {
  name: string;
  family?: string;
  status?: string;
  architecture?: string;
  diskSizeGb?: string;
}

/** A MachineType (the fields herd reads). */
export interface GceMachineType {
  name: string;
  guestCpus?: number;
  memoryMb?: number;
}

/** The calls herd makes. Every method rejects with the client's error (see errors.ts). */
export interface GceApi {
  bulkInsert(zone: string, resource: GceBulkInsertResource, requestId: string): Promise<GceOperation>;
  /** One `zoneOperations.wait` call: returns when the operation is DONE or the server gives up waiting. */
  waitOperation(zone: string, operation: string): Promise<GceOperation>;
  /** `instances.list` with a filter, following nextPageToken (500 per page). */
  listInstances(zone: string, filter: string): Promise<GceInstance[]>;
  deleteInstance(zone: string, name: string): Promise<GceOperation>;
  stopInstance(zone: string, name: string): Promise<GceOperation>;
  startInstance(zone: string, name: string): Promise<GceOperation>;
  /** Read-only lookups of `preflight` (dry runs, herd check). */
  getZone(zone: string): Promise<GceZone>;
  getRegion(region: string): Promise<GceRegion>;
  /** `projects/P/global/images/NAME` or `projects/P/global/images/family/FAMILY` (resolveImage's forms). */
  getImage(project: string, name: string, family: boolean): Promise<GceImage>;
  getMachineType(zone: string, name: string): Promise<GceMachineType>;
  /** Releases connections. */
  close(): Promise<void>;
}
