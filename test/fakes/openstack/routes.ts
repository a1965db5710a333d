/** What a route of the fake sees and answers, shared by the service modules. */
import type { FakeCloudState } from './cloud.js';
import { FakeApiError } from './errors.js';

/** A token the fake issued. */
export interface TokenRecord {
  userId: string;
  userName: string;
  projectId: string | undefined;
  expiresAt: number;
}

/** One request, parsed. */
export interface RouteContext {
  params: string[];
  query: URLSearchParams;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are JSON and checked field by field.
  body: any;
  headers: Record<string, string | string[] | undefined>;
  /** Absent for Keystone's token request. */
  token: TokenRecord | undefined;
  /** Nova microversion (compute). */
  microversion: string;
  /** `http://127.0.0.1:PORT` plus the interface prefix the request came through. */
  base: string;
  cloud: FakeCloudState;
}

/** The answer of a route. */
export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One API operation. */
export interface Route {
  /** Operation name, e.g. `compute.servers.create`. */
  name: string;
  method: string;
  pattern: RegExp;
  /** Served without a token (Keystone's token request, version documents). */
  open?: boolean;
  handle(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

/** A 200 with a JSON body. */
export const ok = (body: unknown, status = 200): RouteResult => ({ status, body });

/** Values of a (possibly repeated, possibly comma-separated) query parameter. */
export function queryValues(query: URLSearchParams, key: string): string[] {
  return query.getAll(key).flatMap((v) => v.split(','));
}

/**
 * Applies `limit` and `marker` (an id) to a sorted list. As Nova and Neutron do, a full page gets a
 * `next` link even when nothing follows; an unknown marker is a 400.
 */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  query: URLSearchParams,
  maxPage: number,
  selfUrl: string,
): { page: T[]; next: string | undefined } {
  const limitText = query.get('limit');
  if (limitText !== null && !/^\d+$/.test(limitText))
    throw new FakeApiError(400, `limit param must be an integer`);
  const limit = limitText === null ? maxPage : Math.min(Number(limitText), maxPage);
  const marker = query.get('marker');
  let start = 0;
  if (marker) {
    const at = items.findIndex((i) => i.id === marker);
    if (at < 0) throw new FakeApiError(400, `marker [${marker}] not found`);
    start = at + 1;
  }
  const page = items.slice(start, start + limit);
  let next: string | undefined;
  if (limit > 0 && page.length === limit) {
    const q = new URLSearchParams(query);
    q.set('limit', String(limit));
    q.set('marker', page[page.length - 1]!.id);
    next = `${selfUrl}?${q.toString()}`;
  }
  return { page, next };
}
