/**
 * A fake of the Compute Engine v1 REST API on 127.0.0.1, written from Google's published reference
 * (no Compute Engine emulator exists). It serves what herd calls (instances.bulkInsert, list, get,
 * delete, stop, start; zoneOperations.get and wait) plus images.get / getFromFamily,
 * machineTypes.get, zones.get and regions.get (with quotas), validates requests the way the API does for the fields herd sends, and keeps
 * instance lifecycles (PROVISIONING -> STAGING -> RUNNING, STOPPING -> TERMINATED). It imports
 * only node: modules, so a benchmark can compile it on its own with tsc.
 */
import { FakeGceServer } from './server.js';
import type { FakeGceOptions, GceInstanceJson } from './types.js';

export type {
  BulkInsertFault,
  FakeGceOptions,
  GceInstanceJson,
  RequestFault,
  RequestRecord,
} from './types.js';

/** A running fake. */
export interface FakeGce {
  /** `http://127.0.0.1:PORT`: the value of gce_api_endpoint. */
  readonly url: string;
  readonly port: number;
  readonly project: string;
  /** Requests received, by API method (`instances.bulkInsert`, `zoneOperations.wait`, ...). */
  readonly calls: Readonly<Record<string, number>>;
  /** Every request, in order, with its parsed JSON body. */
  readonly requests: readonly import('./types.js').RequestRecord[];
  /** Current instances (copies), every zone. */
  instances(): GceInstanceJson[];
  /** Called when an instance is created (status PROVISIONING); it turns RUNNING once the promise settles. */
  onInstanceInserted(cb: (instance: GceInstanceJson) => void | Promise<void>): void;
  /** Called when an instance is deleted; the delete operation is DONE once the promise settles. */
  onInstanceDeleted(cb: (instance: GceInstanceJson) => void | Promise<void>): void;
  /** Called for every request as it arrives (before it is answered). */
  onRequest(cb: (method: string, record: import('./types.js').RequestRecord) => void): void;
  /** Makes bulkInserts in a zone fail with a capacity/quota code (at the operation by default). */
  failBulkInsert(fault: import('./types.js').BulkInsertFault): void;
  /** Makes requests of one API method fail with an HTTP error. */
  failRequests(fault: import('./types.js').RequestFault): void;
  /** Clears `calls` and `requests`. */
  resetCalls(): void;
  /**
   * Resolves once no client is connected and no request is being answered (instances are created
   * within their bulkInsert request): what a killed herd sent has arrived and been answered.
   */
  settled(): Promise<void>;
  /** Errors thrown by the hooks. */
  readonly hookErrors: readonly Error[];
  /** Closes the server and cancels every timer. */
  stop(): Promise<void>;
}

/** Starts a fake on a free loopback port. */
export async function startFakeGce(options: FakeGceOptions = {}): Promise<FakeGce> {
  const server = new FakeGceServer(options);
  await server.listen();
  return server;
}
