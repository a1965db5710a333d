/**
 * The rules for node kinds shared by the config (`<kind>_nodes`) and the command line (`--nodes`,
 * `-a`, `-r`): one definition, so a kind valid in one place is valid in the other.
 */

/** Most nodes of one kind, in a template (`<kind>_nodes`, `<kind>_nodes_min`) or on the command line. */
export const MAX_NODES_PER_KIND = 10_000;

// A node is named <kind><NNN> and its host name <cluster>-<node>: a trailing digit would be ambiguous.
const KIND_NAME = /^(?:[A-Za-z]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z-])$/;
const MAX_KIND_LENGTH = 40;

/** Why a kind name is not valid, or undefined. */
export function kindNameProblem(kind: string): string | undefined {
  if (kind === 'global') return '"global" is reserved for global_var_*; choose another kind name';
  if (kind.length > MAX_KIND_LENGTH)
    return `kind name "${kind}" is longer than ${MAX_KIND_LENGTH} characters`;
  if (!KIND_NAME.test(kind)) {
    return `kind name "${kind}" is not valid: use letters, digits and "-", start with a letter or digit and do not end in a digit (node names append a number), e.g. compute`;
  }
  return undefined;
}
