/**
 * An HTTP proxy on a free loopback port in front of moto_server that counts EC2 calls by Action and
 * answers chosen Actions with EC2 errors moto cannot produce (InsufficientInstanceCapacity,
 * RequestLimitExceeded, ...), in the EC2 XML error format. Hooks run before or after an Action is
 * forwarded, e.g. to SIGKILL herd at a chosen point of a start.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error to answer instead of forwarding. */
export interface FaultRule {
  /** EC2 error code, e.g. `InsufficientInstanceCapacity`. */
  code: string;
  /** HTTP status (default 503 for throttling codes, else 400). */
  status?: number;
  message?: string;
  /** Answer only the first N matching calls (default: every one). */
  times?: number;
  /** Answer only calls whose form parameters match (e.g. `p.get('SubnetId') === id`). */
  when?: (params: URLSearchParams) => boolean;
}

/**
 * Runs at an Action. A `before` hook returning `'drop'` closes the connection without forwarding (the
 * call never reaches moto); an `after` hook runs once moto has answered, before the answer is sent on.
 */
export type ActionHook = (params: URLSearchParams) => unknown;

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: the value for `ec2_url`. */
  readonly url: string;
  /** Calls received per Action since the last reset (failed and forwarded alike). */
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Adds a rule for `action`; rules are tried in the order added. */
  failAction(action: string, rule: FaultRule): void;
  /** Removes every rule and hook. */
  clear(): void;
  /** Adds a hook for `action` (`*`: every action; those run first). */
  onAction(action: string, phase: 'before' | 'after', hook: ActionHook): void;
  stop(): Promise<void>;
}

const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'RequestThrottled']);

/** The EC2 XML error body. */
export function ec2ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts the proxy in front of `targetUrl` (moto's URL). */
export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  let counts: Record<string, number> = {};
  const rules = new Map<string, (FaultRule & { used: number })[]>();
  const hooks = new Map<string, ActionHook[]>();
  const target = new URL(targetUrl);

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
      (resolve, reject) => {
        const out = request(
          {
            hostname: target.hostname,
            port: target.port,
            path: req.url,
            method: req.method,
            headers: { ...req.headers, host: target.host },
          },
          async (up) =>
            resolve({ status: up.statusCode ?? 502, headers: up.headers, body: await readBody(up) }),
        );
        out.on('error', reject);
        out.end(body);
      },
    );

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const params = new URLSearchParams(body.toString('utf8'));
    const action =
      params.get('Action') ?? new URL(req.url ?? '/', 'http://x').searchParams.get('Action') ?? '?';
    counts[action] = (counts[action] ?? 0) + 1;

    for (const hook of [...(hooks.get('before:*') ?? []), ...(hooks.get(`before:${action}`) ?? [])]) {
      if ((await hook(params)) === 'drop') {
        req.socket.destroy();
        return;
      }
    }
    const rule = (rules.get(action) ?? []).find(
      (r) => (r.times === undefined || r.used < r.times) && (!r.when || r.when(params)),
    );
    if (rule) {
      rule.used++;
      const xml = ec2ErrorXml(rule.code, rule.message ?? `Injected ${rule.code} for ${action}`);
      res.writeHead(rule.status ?? (THROTTLING.has(rule.code) ? 503 : 400), { 'content-type': 'text/xml' });
      res.end(xml);
      return;
    }
    const answer = await forward(req, body);
    for (const hook of [...(hooks.get('after:*') ?? []), ...(hooks.get(`after:${action}`) ?? [])]) {
      if ((await hook(params)) === 'drop') {
        req.socket.destroy();
        return;
      }
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    resetCounts() {
      counts = {};
    },
    failAction(action, rule) {
      rules.set(action, [...(rules.get(action) ?? []), { ...rule, used: 0 }]);
    },
    clear() {
      rules.clear();
      hooks.clear();
    },
    onAction(action, phase, hook) {
      const key = `${phase}:${action}`;
      hooks.set(key, [...(hooks.get(key) ?? []), hook]);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * SIGKILLs `run` when `action` reaches the proxy and `when` holds for the call: `before` drops the
 * call (EC2 never sees it), `after` lets moto answer and drops the answer. Every call the dead
 * process still had in flight is dropped too. `proxy.clear()` disarms it.
 */
export function killAtAction(
  proxy: FaultProxy,
  run: { kill(): boolean; killed(): boolean },
  action: string,
  phase: 'before' | 'after',
  when: (params: URLSearchParams) => boolean = () => true,
): void {
  proxy.onAction('*', 'before', () => (run.killed() ? 'drop' : undefined));
  proxy.onAction(action, phase, (params) => (when(params) && run.kill() ? 'drop' : undefined));
}
