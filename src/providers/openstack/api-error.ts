/**
 * An OpenStack API answer that was not a success, read from the error body each service writes:
 * Nova and Cinder `{"badRequest": {"code": 400, "message": ...}}`, Neutron
 * `{"NeutronError": {"type": ..., "message": ..., "detail": ...}}`, Keystone
 * `{"error": {"code": 401, "title": ..., "message": ...}}`, Glance a short HTML page.
 */

/** A failed API call, before herd decides what it means for the user. */
export class OpenStackApiError extends Error {
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** Service and request, e.g. `compute POST /servers`. */
    readonly request: string,
    /** The error's kind: Nova's key (`badRequest`, `itemNotFound`), Neutron's type, Keystone's title. */
    readonly kind: string | undefined,
    message: string,
    /** `x-openstack-request-id`, for the cloud's operators. */
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'OpenStackApiError';
  }
}

/** The kind and message of an error body (JSON of any service, or text/HTML). */
export function parseErrorBody(text: string, status: number): { kind: string | undefined; message: string } {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') {
      const record = body as Record<string, unknown>;
      if (typeof record['message'] === 'string') return { kind: undefined, message: record['message'] };
      for (const [key, value] of Object.entries(record)) {
        if (!value || typeof value !== 'object') continue;
        const inner = value as Record<string, unknown>;
        if (typeof inner['message'] !== 'string') continue;
        const kind =
          typeof inner['type'] === 'string'
            ? inner['type']
            : typeof inner['title'] === 'string' && key === 'error'
              ? inner['title']
              : key;
        const detail =
          typeof inner['detail'] === 'string' && inner['detail'] !== '' ? ` (${inner['detail']})` : '';
        return { kind, message: `${inner['message']}${detail}` };
      }
    }
  } catch {
    // Not JSON: Glance and proxies answer with HTML or plain text.
  }
  const plain = text
    .replace(/<title>.*?<\/title>/is, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { kind: undefined, message: plain === '' ? `HTTP ${status}` : plain.slice(0, 500) };
}
