/** Shared pieces of the GCE provider tests. */
import type { CloudSection, NodeSettings } from '../../../src/config/types.js';
import type { Logger } from '../../../src/log.js';
import type { ClusterRef, CreateNodesRequest, NodeSpec } from '../../../src/providers/types.js';
import { cloudNameFor } from '../../../src/state/names.js';

/** A `[cloud/gce]` section pointing at a fake. */
export function gceCloud(url: string, extra: Record<string, string | boolean> = {}): CloudSection {
  return {
    name: 'gce',
    provider: 'google',
    settings: {
      gce_project_id: 'herd-test',
      gce_api_endpoint: url,
      zone: 'us-central1-a',
      network: 'default',
      ...extra,
    },
  };
}

/** A logger that keeps every line. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}

/** A cluster by name; `id` undefined is a cluster from before ids (instance names without an id). */
export function ref(name: string, id?: string): ClusterRef {
  return { name, id };
}

/** Node specs `<kind>001..` of a cluster. */
export function specs(cluster: ClusterRef, kind: string, count: number, first = 1): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${kind}${String(first + i).padStart(3, '0')}`;
    return { name, cloudName: cloudNameFor(cluster.name, name, cluster.id) };
  });
}

/** A createNodes request with working defaults (a string: a cluster from before ids). */
export function createRequest(
  cluster: string | ClusterRef,
  kind: string,
  count: number,
  settings: NodeSettings = {},
): CreateNodesRequest {
  const target = typeof cluster === 'string' ? ref(cluster) : cluster;
  return {
    cluster: target,
    runId: 'run1',
    template: target.name,
    kind,
    nodes: specs(target, kind, count),
    settings: { image_id: 'debian-12', flavor: 'e2-small', external_ip: false, ...settings },
    login: {
      user: 'herd',
      publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests herd@test',
      keyName: undefined,
    },
  };
}

/** Sets environment variables for the duration of a test; returns the restore function. */
export function withEnv(vars: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
