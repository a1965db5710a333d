/**
 * Compute Engine's error body: `{"error":{"code":400,"message":"...","errors":[{"message":"...",
 * "domain":"global","reason":"invalid"}]}}`, with the message wording of the published API.
 */

/** An error the fake answers with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }

  /** The JSON body Google sends. */
  body(): unknown {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ message: this.message, domain: 'global', reason: this.reason }],
      },
    };
  }
}

/** 400 invalid: `Invalid value for field 'F': 'V'. WHY` */
export function invalid(field: string, value: unknown, why: string): ApiError {
  const shown = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return new ApiError(400, 'invalid', `Invalid value for field '${field}': '${shown}'. ${why}`.trim());
}

/** 400 required: `Required field 'F' not specified` */
export function required(field: string): ApiError {
  return new ApiError(400, 'required', `Required field '${field}' not specified`);
}

/** 404 notFound: `The resource 'R' was not found` */
export function notFound(resource: string): ApiError {
  return new ApiError(404, 'notFound', `The resource '${resource}' was not found`);
}

/** 409 alreadyExists: `The resource 'R' already exists` */
export function alreadyExists(resource: string): ApiError {
  return new ApiError(409, 'alreadyExists', `The resource '${resource}' already exists`);
}

/** 401 for a request without `Authorization: Bearer <token>`. */
export function unauthenticated(): ApiError {
  return new ApiError(
    401,
    'required',
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  );
}
