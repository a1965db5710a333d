/**
 * Compute Engine failures as herd errors. The client rejects with an error whose `code` is the
 * HTTP status and whose message is Google's JSON error body; a finished Operation carries
 * `error.errors[].code`. Capacity and quota codes make herd try the next zone; everything else
 * becomes a ProviderError that names the config key to change.
 */
import { ProviderError } from '../../errors.js';
import { pointAtKey } from '../key-at-fault.js';
import type { GceOperationError } from './api.js';

/** What an API error says, in a form that does not depend on the client library. */
export interface ApiFailure {
  /** HTTP status, when the request itself failed. */
  status: number | undefined;
  /** Google's `errors[0].reason` (`notFound`, `invalid`, `quotaExceeded`, ...) or an Operation error code. */
  reason: string | undefined;
  message: string;
}

/** Operation or request error codes that mean "this zone cannot take the nodes now". */
const CAPACITY_CODES = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'QUOTA_EXCEEDED',
  'quotaExceeded',
  'RESOURCE_POOL_EXHAUSTED',
]);

/** True when the failure is about capacity or quota in a zone (try the next zone). */
export function isCapacityFailure(f: Pick<ApiFailure, 'reason' | 'message'>): boolean {
  if (f.reason && CAPACITY_CODES.has(f.reason)) return true;
  return /ZONE_RESOURCE_POOL_EXHAUSTED|QUOTA_EXCEEDED/.test(f.message);
}

/** Reads a rejected client call (GaxiosError, GoogleError, or a plain Error). */
export function describeApiError(error: unknown): ApiFailure {
  const e = error as { code?: unknown; status?: unknown; message?: unknown; response?: { data?: unknown } };
  const text = typeof e?.message === 'string' ? e.message : String(error);
  const body = parseBody(e?.response?.data) ?? parseBody(text);
  const status =
    typeof body?.code === 'number'
      ? body.code
      : typeof e?.status === 'number'
        ? e.status
        : typeof e?.code === 'number' && e.code >= 100
          ? e.code
          : undefined;
  return {
    status,
    reason: body?.errors?.[0]?.reason,
    message: body?.message ?? text,
  };
}

/** The Operation's errors as one failure (first code, every message). */
export function describeOperationError(errors: readonly GceOperationError[]): ApiFailure {
  const capacity = errors.find((e) => CAPACITY_CODES.has(e.code));
  return {
    status: undefined,
    reason: (capacity ?? errors[0])?.code,
    message: errors.map((e) => `${e.code}: ${e.message ?? ''}`.trim()).join('; '),
  };
}

interface GoogleErrorBody {
  code?: number;
  message?: string;
  errors?: { reason?: string; message?: string }[];
}

function parseBody(value: unknown): GoogleErrorBody | undefined {
  let data = value;
  if (typeof data === 'string') {
    const start = data.indexOf('{');
    if (start < 0) return undefined;
    try {
      data = JSON.parse(data.slice(start));
    } catch {
      return undefined;
    }
  }
  const error = (data as { error?: unknown } | undefined)?.error;
  return error && typeof error === 'object' ? (error as GoogleErrorBody) : undefined;
}

/** Resource kinds in messages and field paths, with the config key that chooses each. */
const KEY_BY_RESOURCE: readonly (readonly [RegExp, string])[] = [
  [/machineTypes|machineType/, 'flavor'],
  [/\/images\/|sourceImage/, 'image_id'],
  [/diskTypes|diskType/, 'boot_disk_type'],
  [/diskSizeGb/, 'boot_disk_size'],
  [/acceleratorTypes|acceleratorType|guestAccelerators/, 'accelerator_type'],
  [/subnetworks|subnetwork/, 'subnetwork'],
  [/networks\/|\.network\b/, 'network'],
  [/minCpuPlatform/, 'min_cpu_platform'],
  [/scheduling/, 'scheduling'],
  [/tags/, 'tags'],
  [/startup-script|metadata/, 'image_userdata'],
  [/zones\//, 'zone'],
  [/projects\/[^/\s'"]+['"]?( |$)|project/, 'gce_project_id'],
];

/** The config key a GCE message points at, if it names one. */
export function configKeyFor(message: string): string | undefined {
  return KEY_BY_RESOURCE.find(([pattern]) => pattern.test(message))?.[1];
}

/** Context for error messages. */
export interface ErrorContext {
  /** What herd was doing, e.g. `create 3 compute node(s) in us-central1-a`. */
  action: string;
  /** `[cloud/NAME]`. */
  section: string;
  project: string;
  kind?: string;
  /** Template name: node keys are reported in its `[cluster/NAME]` section. */
  template?: string;
  /** The kind's node settings, to quote the value of the key at fault. */
  settings?: Readonly<Record<string, unknown>>;
}

const IMAGE_FORMS =
  'image_id takes a public image family such as debian-12 or ubuntu-2204-lts, projects/PROJECT/global/images/NAME (or .../family/FAMILY), a full image URL, or the name of an image in your project.';

const ADC_HINT =
  'herd uses Application Default Credentials: run "gcloud auth application-default login", or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or GOOGLE_OAUTH_ACCESS_TOKEN to an access token.';

/** One kind of failure: which failures it takes, its code and the hint (the message is the API's). */
interface FailureRule {
  match: (f: ApiFailure) => boolean;
  code: string;
  hint: (ctx: ErrorContext) => string;
}

const isDenied = (f: ApiFailure) => f.status === 403 && !isCapacityFailure(f);

/** The rules in order; a failure none takes is reported by the config key its message names. */
const RULES: readonly FailureRule[] = [
  { match: (f) => f.status === 401, code: 'GceAuthFailed', hint: () => ADC_HINT },
  {
    match: (f) =>
      isDenied(f) && /has not been used|is disabled|accessNotConfigured/.test(`${f.reason} ${f.message}`),
    code: 'GcePermissionDenied',
    hint: (ctx) =>
      `Enable the Compute Engine API for project ${ctx.project} (gcloud services enable compute.googleapis.com), or check gce_project_id in [${ctx.section}].`,
  },
  {
    match: isDenied,
    code: 'GcePermissionDenied',
    hint: (ctx) =>
      `Check gce_project_id in [${ctx.section}] and give the credentials' account the Compute Instance Admin (v1) role on project ${ctx.project}. ${ADC_HINT}`,
  },
  {
    match: (f) => f.status === 409 || f.reason === 'alreadyExists' || f.reason === 'RESOURCE_ALREADY_EXISTS',
    code: 'GceInstanceExists',
    hint: () =>
      'Instance names are <cluster>-<node> in lowercase, with "_" and "." turned into "-": another cluster whose name differs only in that way, or instances left from an earlier one, hold these names. "herd list" shows the clusters; start this one under another name (-n), or stop the other.',
  },
];

/** The code of a failure no rule takes. */
function codeOf(f: ApiFailure): string {
  if (f.status === 404 || f.reason === 'notFound') return 'GceResourceNotFound';
  if (f.status === 400 || f.reason === 'invalid') return 'GceInvalidRequest';
  return 'GceApiError';
}

const CLOUD_KEYS = new Set(['zone', 'network', 'gce_project_id']);

/** A ProviderError for a failure that is not about capacity. */
export function toProviderError(failure: ApiFailure, ctx: ErrorContext, cause?: unknown): ProviderError {
  const text = `Could not ${ctx.action} (project ${ctx.project}, [${ctx.section}]): ${failure.message}`;
  const opts = (hint: string) => ({ hint, ...(cause === undefined ? {} : { cause }) });
  const rule = RULES.find((r) => r.match(failure));
  if (rule) return new ProviderError(rule.code, text, opts(rule.hint(ctx)));
  const key = configKeyFor(failure.message);
  // A node key at fault: lead with where to fix it, as config errors do.
  const at = pointAtKey({ ...ctx, key, cloudKeys: CLOUD_KEYS });
  const hint = at.hint
    ? `${at.hint}${at.nodeKey && key === 'image_id' ? ` ${IMAGE_FORMS}` : ''}`
    : 'See the message above; "herd -vv" shows the request.';
  return new ProviderError(codeOf(failure), `${at.lead}${text}`, opts(hint));
}

/** The error for missing or unreadable credentials. */
export function noCredentialsError(cause: unknown, keyFile?: string): ProviderError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (keyFile) {
    // The variable is set: the file is the problem, not a missing setting.
    return new ProviderError(
      'GceBadCredentials',
      `GOOGLE_APPLICATION_CREDENTIALS=${keyFile} cannot be used: ${detail}`,
      {
        hint: 'Point GOOGLE_APPLICATION_CREDENTIALS at a readable service account key file (JSON, from "gcloud iam service-accounts keys create"), unset it to use "gcloud auth application-default login", or set GOOGLE_OAUTH_ACCESS_TOKEN.',
        cause,
      },
    );
  }
  return new ProviderError('GceNoCredentials', `No Google Cloud credentials found: ${detail}`, {
    hint: ADC_HINT,
    cause,
  });
}
