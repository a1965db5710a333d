/** Node names `<kind>NNN` (compute001, compute002, ...). */

/**
 * `count` new names for nodes of `kind`, given the names already in the cluster. Numbers freed by
 * removed nodes are reused, lowest first, so a cluster that shrinks and grows keeps compact names.
 * Numbers have at least three digits (`compute001`); kind names never end in a digit, so the
 * number is always unambiguous.
 */
export function allocateNodeNames(existing: readonly string[], kind: string, count: number): string[] {
  const taken = new Set<number>();
  for (const name of existing) {
    if (!name.startsWith(kind)) continue;
    const rest = name.slice(kind.length);
    if (/^\d+$/.test(rest)) taken.add(Number(rest));
  }
  const names: string[] = [];
  for (let n = 1; names.length < count; n++) {
    if (!taken.has(n)) names.push(`${kind}${String(n).padStart(3, '0')}`);
  }
  return names;
}

/** The number at the end of a node name (`compute012` -> 12), or undefined when there is none. */
export function nodeNumber(name: string): number | undefined {
  const match = /(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
