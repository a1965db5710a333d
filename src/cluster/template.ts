/** Applying command-line node counts to a template. */
import type { NodeCount } from '../config/node-counts.js';
import type { Template } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { ClusterState } from '../state/types.js';

/**
 * Returns the template with `--nodes` counts applied. A kind not in the template is a usage error listing
 * the template's kinds. When the minimum was the configured count (the default), it follows the new count.
 */
export function withNodeCounts(template: Template, counts: readonly NodeCount[], flag: string): Template {
  if (counts.length === 0) return template;
  const known = template.kinds.map((k) => k.name);
  for (const { kind } of counts) {
    if (!known.includes(kind)) {
      throw new UsageError(
        `${flag}: template "${template.name}" has no node kind "${kind}"; its kinds are: ${known.join(', ')}.`,
        {
          hint: `Add ${kind}_nodes to [cluster/${template.name}] and ${kind}_groups to its setup section to use a new kind.`,
        },
      );
    }
  }
  return {
    ...template,
    kinds: template.kinds.map((k) => {
      const override = counts.find((c) => c.kind === k.name);
      if (!override) return k;
      const min = k.min >= k.count ? override.count : Math.min(k.min, override.count);
      return { ...k, count: override.count, min };
    }),
  };
}

/** Desired totals per kind from a template. */
export function desiredCounts(template: Template): Map<string, number> {
  return new Map(template.kinds.map((k) => [k.name, k.count]));
}

/**
 * The template `start` uses for cluster `name`: a cluster that exists keeps its kinds (counts and
 * settings) and must come from the same template; then `--nodes` applies.
 */
export function templateForStart(
  existing: ClusterState | undefined,
  template: Template,
  name: string,
  nodeCounts: readonly NodeCount[],
): Template {
  if (existing && existing.templateName !== template.name) {
    throw new UsageError(
      `A cluster named "${name}" already exists, started from template "${existing.templateName}", not "${template.name}".`,
      { hint: `Choose another name with -n, or manage it with herd resize ${name} / herd stop ${name}.` },
    );
  }
  const base = existing
    ? {
        ...template,
        kinds: template.kinds.map((k) => existing.template.kinds.find((e) => e.name === k.name) ?? k),
      }
    : template;
  return withNodeCounts(base, nodeCounts, '--nodes');
}
