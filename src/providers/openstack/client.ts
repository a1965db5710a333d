/**
 * The one place herd speaks HTTP to OpenStack: a Keystone v3 token (reused across calls, renewed five
 * minutes before it expires or when a service says 401), endpoints from the token's catalog (region
 * and interface honoured), JSON in and out, retries with backoff on 409, 429 and 5xx (honouring
 * Retry-After), and failures as OpenStackApiError. Secrets and tokens never reach a log line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, ProviderError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { OpenStackApiError, parseErrorBody } from './api-error.js';
import { findEndpoint, parseTokenBody, type ServiceName, type TokenInfo, tokenRequestBody } from './auth.js';
import type { OpenStackCloudSettings } from './settings.js';
import type { HttpResponse, Transport } from './transport.js';

/** Knobs of the client (tests shorten the pauses). */
export interface ClientOptions {
  transport: Transport;
  log: Logger;
  /** Attempts per request, the first included (default 6). */
  attempts?: number;
  /** First pause between attempts; doubles each time, at most 20 s (default 500 ms). */
  retryBaseMs?: number;
  /** Renew the token when it expires within this many ms (default 5 minutes). */
  renewBeforeMs?: number;
}

/** One call. */
export interface CallOptions {
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Whether sending the request twice is harmless. Non-idempotent requests (creating a server) are
   * retried only on 409 and 429, which the service sends before acting; default: true except for POST.
   */
  idempotent?: boolean;
  /** Retry on 409 (default true): false where a 409 is an answer, not a transient state (rule exists). */
  retryConflict?: boolean;
  signal?: AbortSignal | undefined;
}

/** A successful answer. */
export interface ApiResult<T> {
  status: number;
  body: T;
  header(name: string): string | undefined;
}

const RETRYABLE = new Set([409, 429, 500, 502, 503, 504]);

/** Keystone-authenticated JSON client for every OpenStack service herd calls. */
export class OpenStackClient {
  private token: { value: string; info: TokenInfo } | undefined;
  private authenticating: Promise<{ value: string; info: TokenInfo }> | undefined;

  constructor(
    private readonly cloud: OpenStackCloudSettings,
    private readonly options: ClientOptions,
  ) {}

  /** The token's details (authenticating first when needed). */
  async tokenInfo(signal?: AbortSignal): Promise<TokenInfo> {
    return (await this.validToken(signal)).info;
  }

  /** Calls `service` (a path relative to its catalog endpoint) and parses the JSON answer. */
  async call<T = unknown>(
    service: ServiceName,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ApiResult<T>> {
    const idempotent = options.idempotent ?? method !== 'POST';
    const attempts = this.options.attempts ?? 6;
    const label = `${service} ${method} ${path}`;
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      const token = await this.validToken(options.signal);
      const url = this.urlOf(token.info, service, path, options.query);
      const started = Date.now();
      let response: HttpResponse;
      try {
        response = await this.options.transport({
          method,
          url,
          headers: {
            accept: 'application/json',
            'x-auth-token': token.value,
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: options.signal,
        });
      } catch (error) {
        if (options.signal?.aborted) throw new AbortError();
        if (!idempotent || attempt >= attempts) throw this.unreachable(label, url, error);
        await this.pause(attempt, undefined, label, `no answer (${describe(error)})`, options.signal);
        continue;
      }
      this.options.log.debug(`OpenStack ${label} -> ${response.status} (${Date.now() - started} ms)`, 2);
      if (response.status >= 200 && response.status < 300) {
        return { status: response.status, body: parseJson(response.text) as T, header: response.header };
      }
      if (response.status === 401 && !reauthenticated) {
        // The token was revoked or expired early: authenticate again, once.
        reauthenticated = true;
        this.token = undefined;
        continue;
      }
      const retryable =
        RETRYABLE.has(response.status) &&
        (idempotent || response.status === 409 || response.status === 429) &&
        (response.status !== 409 || options.retryConflict !== false);
      if (!retryable || attempt >= attempts) throw apiError(response, label);
      await this.pause(
        attempt,
        response.header('retry-after'),
        label,
        `HTTP ${response.status}`,
        options.signal,
      );
    }
  }

  /** Every page of a list: follows `<key>_links` (Nova) or `next` (Glance) or a full page (Neutron markers). */
  async listAll<T>(
    service: ServiceName,
    path: string,
    key: string,
    options: CallOptions & { pageSize?: number } = {},
  ): Promise<T[]> {
    const items: T[] = [];
    const pageSize = options.pageSize ?? 1000;
    let query: CallOptions['query'] = { ...options.query, limit: pageSize };
    for (let page = 0; page < 1000; page++) {
      const { body } = await this.call<Record<string, unknown>>(service, 'GET', path, { ...options, query });
      const batch = (body?.[key] as T[] | undefined) ?? [];
      items.push(...batch);
      const marker = nextMarker(body, key, batch, pageSize);
      if (!marker) return items;
      query = { ...options.query, limit: pageSize, marker };
    }
    return items;
  }

  /** The endpoint URL of a service (for messages). */
  async endpoint(service: ServiceName): Promise<string> {
    return this.baseUrl((await this.validToken()).info, service);
  }

  private urlOf(info: TokenInfo, service: ServiceName, path: string, query: CallOptions['query']): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) params.append(k, item);
      else params.append(k, String(v));
    }
    const qs = params.toString();
    return `${this.baseUrl(info, service)}${path}${qs ? `?${qs}` : ''}`;
  }

  private baseUrl(info: TokenInfo, service: ServiceName): string {
    const found = findEndpoint(info.catalog, service, this.cloud.interface, this.cloud.region);
    if ('url' in found) {
      // Endpoints may carry the project as a template (Cinder's old /v3/$(project_id)s).
      return found.url.replace(/\$\((project_id|tenant_id)\)s/, info.projectId ?? '');
    }
    const keys = this.cloud.region ? 'region_name and interface' : 'interface';
    throw new ProviderError('OpenStackEndpointMissing', `[${this.cloud.section}]: ${found.problem}.`, {
      hint: `Check ${keys} in [${this.cloud.section}] (or OS_REGION_NAME / OS_INTERFACE); "openstack catalog list" shows the endpoints your cloud offers.`,
    });
  }

  private async validToken(signal?: AbortSignal): Promise<{ value: string; info: TokenInfo }> {
    const renewBefore = this.options.renewBeforeMs ?? 300_000;
    if (this.token && this.token.info.expiresAt - Date.now() > renewBefore) return this.token;
    if (!this.authenticating) {
      this.authenticating = this.authenticate(signal).finally(() => {
        this.authenticating = undefined;
      });
    }
    this.token = await this.authenticating;
    return this.token;
  }

  private async authenticate(signal?: AbortSignal): Promise<{ value: string; info: TokenInfo }> {
    const { auth, section } = this.cloud;
    const url = `${auth.authUrl}/auth/tokens`;
    const attempts = this.options.attempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await this.options.transport({
          method: 'POST',
          url,
          headers: { accept: 'application/json', 'content-type': 'application/json' },
          body: JSON.stringify(tokenRequestBody(auth)),
          signal,
        });
      } catch (error) {
        if (signal?.aborted) throw new AbortError();
        if (attempt >= attempts) throw this.unreachable('identity POST /auth/tokens', url, error);
        await this.pause(attempt, undefined, 'identity POST /auth/tokens', describe(error), signal);
        continue;
      }
      this.options.log.debug(`OpenStack identity POST /auth/tokens -> ${response.status}`, 2);
      const value = response.header('x-subject-token');
      if (response.status === 201 && value) return { value, info: parseTokenBody(parseJson(response.text)) };
      if ((response.status === 429 || response.status >= 500) && attempt < attempts) {
        await this.pause(
          attempt,
          response.header('retry-after'),
          'identity POST /auth/tokens',
          `HTTP ${response.status}`,
          signal,
        );
        continue;
      }
      const { message } = parseErrorBody(response.text, response.status);
      const how =
        auth.method === 'application_credential'
          ? 'application_credential_id (or _name with username) and application_credential_secret'
          : 'username (or user_id), password, project_name (or project_id), user_domain_name and project_domain_name';
      if (response.status === 401 || response.status === 403) {
        throw new ProviderError(
          'OpenStackAuthFailed',
          `Keystone at ${auth.authUrl} refused herd's credentials from [${section}]${this.cloud.cloudsYaml ? ` and clouds.yaml entry "${this.cloud.cloudsYaml.name}"` : ''}: ${message}`,
          {
            hint: `Check ${how} in [${section}] or the matching OS_* variables ("openstack token issue" with the same values must work).`,
          },
        );
      }
      if (response.status === 404) {
        throw new ProviderError('OpenStackAuthFailed', `${url} answered 404: ${message}`, {
          hint: `Check auth_url in [${section}]: it must be the Keystone v3 endpoint, e.g. https://keystone.example.org:5000/v3.`,
        });
      }
      throw new ProviderError(
        'OpenStackAuthFailed',
        `Keystone at ${auth.authUrl} answered HTTP ${response.status}: ${message}`,
        {
          hint: `Check auth_url and the credentials in [${section}]; run the command again if the cloud had a hiccup.`,
        },
      );
    }
  }

  private unreachable(label: string, url: string, error: unknown): ProviderError {
    const origin = (() => {
      try {
        return new URL(url).origin;
      } catch {
        return url;
      }
    })();
    const tls = /certificate|self.signed|SSL|TLS/i.test(describe(error));
    return new ProviderError(
      'OpenStackUnreachable',
      `Could not reach ${origin} (${label}): ${describe(error)}`,
      {
        hint: tls
          ? `Point cacert in [${this.cloud.section}] (or OS_CACERT) at the CA bundle that signed the cloud's certificate.`
          : `Check auth_url in [${this.cloud.section}] and that this machine reaches the cloud's API (proxy, VPN, firewall).`,
        cause: error,
      },
    );
  }

  private async pause(
    attempt: number,
    retryAfter: string | undefined,
    label: string,
    why: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const base = this.options.retryBaseMs ?? 500;
    const backoff = Math.min(base * 2 ** (attempt - 1), 20_000);
    const asked =
      retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
    const ms = Math.min(asked ?? backoff * (0.5 + Math.random() / 2), 30_000);
    this.options.log.debug(`OpenStack ${label}: ${why}; retrying in ${Math.round(ms)} ms`, 1);
    try {
      await sleep(ms, undefined, signal ? { signal } : undefined);
    } catch {
      throw new AbortError();
    }
  }
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string; code?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(error)}${cause && !String(e?.message).includes(cause) ? ` (${cause})` : ''}`;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function apiError(response: HttpResponse, label: string): OpenStackApiError {
  const { kind, message } = parseErrorBody(response.text, response.status);
  return new OpenStackApiError(
    response.status,
    label,
    kind,
    message,
    response.header('x-openstack-request-id') ?? response.header('x-compute-request-id'),
  );
}

/** The marker of the next page, or undefined on the last page. */
function nextMarker(
  body: Record<string, unknown> | undefined,
  key: string,
  batch: readonly unknown[],
  pageSize: number,
): string | undefined {
  const links = body?.[`${key}_links`] as { rel?: string; href?: string }[] | undefined;
  const next =
    links?.find((l) => l.rel === 'next')?.href ??
    (typeof body?.['next'] === 'string' ? body['next'] : undefined);
  if (next) {
    const marker = new URL(next, 'http://x').searchParams.get('marker');
    if (marker) return marker;
  }
  // Neutron pages without links unless asked: a full page may have a successor.
  if (!links && body?.['next'] === undefined && batch.length === pageSize) {
    const last = batch[batch.length - 1] as { id?: string } | undefined;
    return last?.id;
  }
  return undefined;
}
