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
 *
 * Version 1 stored the paths of the cluster's files (`paths`) and the setup section's
 * `ansible_command`. Version 2 stores neither: paths are derived from the storage directory and the
 * cluster name, and the command comes from the configuration, so a hand-edited state file can
 * neither point herd's writes elsewhere nor make it run a program. Version 2 adds the cluster `id`;
 * a cluster migrated from version 1 has none and keeps using the resources that carry its name and
 * no id.
 *
 * Version 3 adds `pause` (a paused cluster). A version-2 file is a version-3 file without it; the
 * number changed so that an older herd refuses a paused cluster (StateTooNew) instead of trying to
 * reach its stopped nodes.
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
  if (current['version'] === 1) current = fromV1(current);
  if (current['version'] === 2) current = { ...current, version: 3 };
  return current;
}

/**
 * Version 0 named the cluster's key pair outside the template. A key pair of its own (not the one
 * herd generates beside the state file) becomes the snapshot's login key, which is where later
 * versions take a user's key from.
 */
function withV0Key(snapshot: unknown, privateKey: unknown, publicKey: unknown, file: string): unknown {
  if (!isObject(snapshot) || !isObject(snapshot['login']) || typeof privateKey !== 'string') return snapshot;
  const login = snapshot['login'];
  if (login['userKeyPrivate'] !== undefined || privateKey === file.replace(/\.json$/, '.key'))
    return snapshot;
  return {
    ...snapshot,
    login: {
      ...login,
      userKeyPrivate: privateKey,
      ...(typeof publicKey === 'string' ? { userKeyPublic: publicKey } : {}),
    },
  };
}

function fromV1(v1: Json): Json {
  const { paths: _paths, ...rest } = v1;
  const template = v1['template'];
  if (isObject(template) && isObject(template['setup'])) {
    const { ansibleCommand: _command, ...setup } = template['setup'];
    rest['template'] = { ...template, setup };
  }
  return { ...rest, version: 2 };
}

function fromV0(v0: Json, file: string): Json {
  const name = v0['name'];
  if (typeof name !== 'string') throw corrupt(file, 'version 0 record without a "name"');
  const groups = v0['nodes'] ?? {};
  if (!isObject(groups)) throw corrupt(file, 'version 0 "nodes" is not an object of kinds');
  const created = v0['created'];
  const nodes = Object.entries(groups).flatMap(([kind, list]) => {
    if (!Array.isArray(list)) throw corrupt(file, `version 0 "nodes.${kind}" is not a list`);
    list.forEach((n: unknown, i) => {
      if (!isObject(n) || typeof n['name'] !== 'string') {
        throw corrupt(
          file,
          `version 0 "nodes.${kind}[${i}]" is ${JSON.stringify(n)}, not a node with a name`,
        );
      }
    });
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
  return {
    version: 1,
    name,
    templateName: v0['template'],
    template: withV0Key(v0['snapshot'], v0['user_key_private'], v0['user_key_public'], file),
    createdAt: created,
    updatedAt: v0['updated'],
    nodes,
  };
}
