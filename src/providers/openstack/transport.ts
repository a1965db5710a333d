/**
 * How one HTTP request reaches the cloud. Node's fetch by default; with `cacert` or `insecure`, Node's
 * https module, because fetch takes no CA bundle or verification switch of its own.
 */
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';

/** One request as the client builds it. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** The answer, body read as text. */
export interface HttpResponse {
  status: number;
  header(name: string): string | undefined;
  text: string;
}

/** Sends one request; rejects only when no HTTP answer came (connection refused, reset, TLS). */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/** fetch with a time limit per request. */
export function fetchTransport(timeoutMs = 120_000): Transport {
  return async (req) => {
    const signal = req.signal
      ? AbortSignal.any([req.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    const response = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      signal,
      redirect: 'follow',
    });
    const text = await response.text();
    return { status: response.status, header: (name) => response.headers.get(name) ?? undefined, text };
  };
}

/** https with a CA bundle (PEM file) and/or without certificate verification; http URLs go to fetch. */
export async function tlsTransport(
  options: { cacert?: string | undefined; insecure?: boolean | undefined },
  timeoutMs = 120_000,
): Promise<Transport> {
  const ca = options.cacert ? await readFile(options.cacert, 'utf8') : undefined;
  const plain = fetchTransport(timeoutMs);
  return (req) => {
    if (!req.url.startsWith('https:')) return plain(req);
    return new Promise<HttpResponse>((resolve, reject) => {
      const r = httpsRequest(
        req.url,
        {
          method: req.method,
          headers:
            req.body === undefined
              ? req.headers
              : { ...req.headers, 'content-length': Buffer.byteLength(req.body) },
          ...(ca ? { ca } : {}),
          rejectUnauthorized: options.insecure !== true,
          timeout: timeoutMs,
          ...(req.signal ? { signal: req.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const header = (name: string) => {
              const value = res.headers[name.toLowerCase()];
              return Array.isArray(value) ? value.join(', ') : value;
            };
            resolve({ status: res.statusCode ?? 0, header, text: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
      r.on('error', reject);
      r.end(req.body);
    });
  };
}
