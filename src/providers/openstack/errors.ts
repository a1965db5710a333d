/**
 * OpenStack failures as herd errors that name the config key to change. Capacity faults ("No valid
 * host", an exhausted network) make herd try the next availability zone or network; quota errors are
 * project-wide in OpenStack, so no other zone helps: they say which quota and what to change.
 */
import { HerdError, ProviderError } from '../../errors.js';
import { pointAtKey } from '../key-at-fault.js';
import { OpenStackApiError } from './api-error.js';

/** Where a failure happened, for messages. */
export interface ErrorContext {
  /** What herd was doing, e.g. `create 3 compute server(s)`. */
  action: string;
  /** `cloud/NAME`. */
  section: string;
  /** `[cluster/NAME]` of the template, when a node key may be at fault. */
  template?: string | undefined;
  kind?: string | undefined;
  /** The kind's node settings, to quote the value of the key at fault. */
  settings?: Readonly<Record<string, unknown>> | undefined;
}

/** Server faults and API messages that mean "this zone or network has no room now". */
const CAPACITY = [
  /No valid host was found/i,
  /There are not enough hosts available/i,
  /Insufficient compute resources/i,
  /IpAddressGenerationFailure|No more IP addresses available/i,
  /Exceeded maximum number of retries/i,
];

/** True when a server fault or API error means the placement had no capacity (try elsewhere). */
export function isCapacityMessage(message: string | undefined): boolean {
  return message !== undefined && CAPACITY.some((re) => re.test(message));
}

/** True when an error means a quota is exhausted. */
export function isQuotaMessage(message: string): boolean {
  return /quota exceeded|exceeds? .*quota|over ?quota|OverQuota|Maximum number of .* exceeded/i.test(message);
}

/** Messages that point at a config key: node keys first, then cloud keys. */
const KEY_BY_MESSAGE: readonly (readonly [RegExp, string])[] = [
  [/flavor/i, 'flavor'],
  [/image/i, 'image_id'],
  [/volume[_ ]type/i, 'boot_disk_type'],
  [/volume_size|block_device_mapping|\bvolume\b/i, 'boot_disk_size'],
  [/availability.zone/i, 'availability_zone'],
  [/security.group/i, 'security_group'],
  [/network|port|subnet|fixed.ip/i, 'network_ids'],
  [/user_data/i, 'image_userdata'],
  [/key ?pair|key_name/i, 'user_key_name'],
  [/server.group|anti.affinity|scheduler_hints/i, 'use_anti_affinity_groups'],
];

const CLOUD_KEYS = new Set(['use_anti_affinity_groups']);

/** The config key an OpenStack message points at, if any. */
export function configKeyFor(message: string): string | undefined {
  return KEY_BY_MESSAGE.find(([re]) => re.test(message))?.[1];
}

/** One kind of failure: which API errors it takes, its code and the hint (the message is the API's). */
interface FailureRule {
  match: (error: OpenStackApiError) => boolean;
  code: string;
  hint: (ctx: ErrorContext) => string;
}

/** The rules in order; an error none takes is reported by the config key its message names. */
const RULES: readonly FailureRule[] = [
  {
    match: (e) => isQuotaMessage(e.message) || (e.status === 413 && /limit/i.test(e.message)),
    code: 'OpenStackQuotaExceeded',
    hint: (ctx) =>
      `Quotas apply to the whole project, so another zone does not help: lower ${ctx.kind ? `${ctx.kind}_nodes or flavor` : 'the node counts or flavor'}, remove unused servers, volumes or floating IPs ("openstack quota show" lists the limits), or ask the cloud operators for more quota.`,
  },
  {
    match: (e) => e.status === 401,
    code: 'OpenStackAuthFailed',
    hint: (ctx) =>
      `Check the credentials in [${ctx.section}] (or the OS_* variables); "openstack token issue" must work with them.`,
  },
  {
    match: (e) => e.status === 403,
    code: 'OpenStackForbidden',
    hint: (ctx) =>
      `The user of [${ctx.section}] may not do this in its project; check project_name (or project_id), or ask for the member role.`,
  },
];

/** The code of an API error no rule takes. */
function codeOf(error: OpenStackApiError): string {
  if (error.status === 404) return 'OpenStackNotFound';
  if (error.status === 400) return 'OpenStackInvalidRequest';
  return 'OpenStackApiError';
}

/** A ProviderError for any failure (OpenStackApiError, HerdError, other). */
export function toProviderError(error: unknown, ctx: ErrorContext): HerdError {
  if (error instanceof HerdError) return error;
  if (!(error instanceof OpenStackApiError)) {
    return new ProviderError(
      'OpenStackError',
      `Could not ${ctx.action} ([${ctx.section}]): ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  const request = error.requestId ? `; request ${error.requestId}` : '';
  const text = `Could not ${ctx.action} ([${ctx.section}]): ${error.message} (${error.request} answered ${error.status}${request})`;
  const rule = RULES.find((r) => r.match(error));
  if (rule) return new ProviderError(rule.code, text, { hint: rule.hint(ctx), cause: error });
  const at = pointAtKey({ ...ctx, key: configKeyFor(error.message), cloudKeys: CLOUD_KEYS });
  const hint = at.hint ?? 'See the message above; "herd -vv" shows every request.';
  return new ProviderError(codeOf(error), `${at.lead}${text}`, { hint, cause: error });
}
