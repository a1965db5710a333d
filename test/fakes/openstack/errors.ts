/**
 * The error bodies each OpenStack service writes, from the API references: Nova and Cinder
 * `{"<kind>": {"code": N, "message": ...}}` with kind badRequest, itemNotFound, forbidden,
 * conflictingRequest, overLimit, computeFault; Neutron `{"NeutronError": {"type", "message",
 * "detail"}}`; Keystone (and keystonemiddleware in front of every service) `{"error": {"code", "title",
 * "message"}}`; Glance a short HTML page.
 */
import type { FakeService } from './types.js';

/** An error the fake answers with. */
export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Neutron's exception type (NetworkNotFound, SecurityGroupInUse, ...). */
    readonly neutronType?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const NOVA_KIND: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  406: 'notAcceptable',
  409: 'conflictingRequest',
  413: 'overLimit',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const NEUTRON_TYPE: Record<number, string> = {
  400: 'BadRequest',
  401: 'NotAuthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  429: 'OverQuota',
  503: 'ServiceUnavailable',
};

/** Content type and body of an error as `service` writes it. */
export function errorBody(
  service: FakeService | 'unknown',
  error: FakeApiError,
): { type: string; text: string } {
  const { status, message } = error;
  if (status === 401 || service === 'identity' || service === 'unknown') {
    return {
      type: 'application/json',
      text: JSON.stringify({ error: { code: status, title: TITLES[status] ?? 'Error', message } }),
    };
  }
  if (service === 'network') {
    return {
      type: 'application/json',
      text: JSON.stringify({
        NeutronError: {
          type: error.neutronType ?? NEUTRON_TYPE[status] ?? 'NeutronException',
          message,
          detail: '',
        },
      }),
    };
  }
  if (service === 'image') {
    const title = `${status} ${TITLES[status] ?? 'Error'}`;
    return {
      type: 'text/html; charset=UTF-8',
      text: `<html>\n <head>\n  <title>${title}</title>\n </head>\n <body>\n  <h1>${title}</h1>\n  ${message}<br /><br />\n\n\n\n </body>\n</html>`,
    };
  }
  const kind = NOVA_KIND[status] ?? 'computeFault';
  return { type: 'application/json', text: JSON.stringify({ [kind]: { code: status, message } }) };
}

/** 400 with Nova's schema-validation wording. */
export function invalidInput(message: string): FakeApiError {
  return new FakeApiError(400, `Invalid input for field/attribute ${message}`);
}

/** 404 with each service's usual wording. */
export function notFound(message: string, neutronType?: string): FakeApiError {
  return new FakeApiError(404, message, neutronType);
}
