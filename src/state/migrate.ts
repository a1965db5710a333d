/**
 * Upgrades a parsed state file of an older format version to the current one. Each step takes
 * version N to N+1, so a file of any older version goes through every step in order.
 *
 * Version 0 is the format of herd's first prototype, close to ElastiCluster's own cluster record:
 *
 *     { "version": 0, "name": "c1", "template": "slurm", "snapshot": { ...Template },
 *       "created": "...", "updated": "...",
 *       "nodes": { "compute": [ { "name": "compute001", "instance_id": "i-1", "ips": ["10.0.0.2"],
 *                                 "preferred_ip": "10.0.0.2", "flavor": "m1", "state": "running" } ] },
 *       "user_key_private": "...", "user_key_public": "...", "known_hosts_file": "..." }
 *
 * The template is named by `template` (now `templateName`), nodes are grouped by kind and carry
 * neither a run id nor a cloud name, and IPs are one list without public/private distinction.
 */
import { StateError } from '../errors.js';
import { cloudNameFor } from './names.js';
import { corruptStateError as corrupt } from './problems.js';
import { STATE_VERSION } from './types.js';

/** Node of a version-0 file. */
interface NodeV0 {
  name: string;
  instance_id?: string;
  ips?: string[];
  preferred_ip?: string;
  flavor?: string;
  state?: string;
}

/** Run id given to nodes that predate run ids. */
export const MIGRATED_RUN_ID = 'migrated-v0';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Brings a parsed state file to STATE_VERSION. The result is not validated yet (the caller checks
 * it against the schema). Throws StateError `StateCorrupt` when there is no usable version, and
 * `StateTooNew` when the file was written by a newer herd.
 */
export function migrate(raw: unknown, file: string): unknown {
  if (!isObject(raw)) return raw;
  const version = raw['version'];
  if (!Number.isInteger(version) || (version as number) < 0) {
    throw corrupt(file, `"version" is ${JSON.stringify(version)}, expected a whole number`);
  }
  if ((version as number) > STATE_VERSION) {
    throw new StateError(
      'StateTooNew',
      `State file ${file} was written by a newer herd (format version ${version}; this herd reads up to version ${STATE_VERSION}).`,
      { hint: 'Upgrade herd to manage this cluster; this herd leaves the file as it is.' },
    );
  }
  let current: Json = raw;
  if (current['version'] === 0) current = fromV0(current, file);
  return current;
}

function fromV0(v0: Json, file: string): Json {
  const name = v0['name'];
  if (typeof name !== 'string') throw corrupt(file, 'version 0 record without a "name"');
  const groups = v0['nodes'] ?? {};
  if (!isObject(groups)) throw corrupt(file, 'version 0 "nodes" is not an object of kinds');
  const created = v0['created'];
  const nodes = Object.entries(groups).flatMap(([kind, list]) => {
    if (!Array.isArray(list)) throw corrupt(file, `version 0 "nodes.${kind}" is not a list`);
    return (list as NodeV0[]).map((n) => ({
      name: n.name,
      kind,
      cloudName: cloudNameFor(name, String(n.name)),
      ...(n.instance_id === undefined ? {} : { instanceId: n.instance_id }),
      state: n.state ?? 'unknown',
      // Version 0 did not tell public from private addresses; the preferred IP is what herd uses.
      publicIps: [],
      privateIps: n.ips ?? [],
      ...(n.preferred_ip === undefined ? {} : { preferredIp: n.preferred_ip }),
      ...(n.flavor === undefined ? {} : { flavor: n.flavor }),
      runId: MIGRATED_RUN_ID,
      createdAt: created,
    }));
  });
  const base = file.replace(/\.json$/, '');
  return {
    version: 1,
    name,
    templateName: v0['template'],
    template: v0['snapshot'],
    createdAt: created,
    updatedAt: v0['updated'],
    nodes,
    paths: {
      privateKey: v0['user_key_private'],
      publicKey: v0['user_key_public'],
      knownHosts: v0['known_hosts_file'] ?? `${base}.known_hosts`,
      inventory: `${base}.inventory`,
    },
  };
}
