/**
 * Where a cloud error points in the configuration: GCE and OpenStack messages name a resource (a flavor,
 * an image, a network), which is the value of one config key. A node key is reported in the template's
 * `[cluster/NAME]` section with its value, as config errors are; a cloud key in the `[cloud/NAME]` section.
 */

/** The key a message points at, and where the failed call's settings came from. */
export interface KeyAtFault {
  /** The config key, if the message names one. */
  key: string | undefined;
  /** Keys of the cloud section (the others are node keys). */
  cloudKeys: ReadonlySet<string>;
  /** `cloud/NAME`. */
  section: string;
  /** The template name, when a node key may be at fault. */
  template?: string | undefined;
  kind?: string | undefined;
  /** The kind's node settings, to quote the value of the key at fault. */
  settings?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * What to put before the cloud's message (`[cluster/lab] flavor=x (kind compute): `, or '') and the
 * hint that says where to fix it (undefined when the message names no key).
 */
export function pointAtKey(at: KeyAtFault): { lead: string; hint: string | undefined; nodeKey: boolean } {
  const { key, kind } = at;
  if (key === undefined) return { lead: '', hint: undefined, nodeKey: false };
  if (at.cloudKeys.has(key)) return { lead: '', hint: `Check ${key} in [${at.section}].`, nodeKey: false };
  const cluster = at.template ? `[cluster/${at.template}]` : 'the cluster section';
  const value = at.settings?.[key];
  const lead = at.template
    ? `${cluster} ${key}${value === undefined ? '' : `=${String(value)}`}${kind ? ` (kind ${kind})` : ''}: `
    : '';
  const hint = `Check ${key}${kind ? ` for kind "${kind}"` : ''} in ${cluster} (or its [cluster/NAME/KIND] override).`;
  return { lead, hint, nodeKey: true };
}
