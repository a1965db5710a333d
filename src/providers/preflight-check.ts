/** The `fail` finding of a preflight for an error already mapped to what the user should see. */
import type { PreflightCheck } from './types.js';

export function failedCheck(
  id: string,
  mapped: { message: string; hint?: string | undefined },
  kind?: string,
): PreflightCheck {
  return {
    id,
    status: 'fail',
    message: mapped.message,
    ...(mapped.hint ? { hint: mapped.hint } : {}),
    ...(kind ? { kind } : {}),
  };
}
