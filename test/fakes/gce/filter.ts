/**
 * The `filter` of Compute list calls. Supported: comparisons `field = value`, `field != value`,
 * `field : value` (`labels.k:*` tests presence), with quoted or bare values; expressions in
 * parentheses, joined by whitespace (AND), `AND` or `OR`. The regular-expression form
 * (`field eq 'regex'`, `field ne ...`) is supported on its own, since the API refuses to mix both.
 * Fields are dotted paths into the resource JSON (`labels.herd-cluster`, `name`, `status`).
 */
import { invalid } from './api-error.js';

type Node =
  | { op: 'and' | 'or'; left: Node; right: Node }
  | { op: '=' | '!=' | ':' | 'eq' | 'ne'; field: string; value: string };

/** A compiled filter: true when the resource matches. */
export type Matcher = (resource: unknown) => boolean;

/** Parses `filter`; throws a 400 ApiError on a malformed expression. */
export function compileFilter(filter: string | undefined): Matcher {
  if (filter === undefined || filter.trim() === '') return () => true;
  const tokens = tokenize(filter);
  let pos = 0;
  const fail = (why: string) => invalid('filter', filter, `Invalid list filter expression: ${why}.`);
  const peek = () => tokens[pos];

  function parseOr(): Node {
    let left = parseAnd();
    while (peek() === 'OR') {
      pos++;
      left = { op: 'or', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): Node {
    let left = parseTerm();
    for (;;) {
      const t = peek();
      if (t === undefined || t === ')' || t === 'OR') return left;
      if (t === 'AND') pos++;
      left = { op: 'and', left, right: parseTerm() };
    }
  }
  function parseTerm(): Node {
    const t = tokens[pos++];
    if (t === undefined) throw fail('unexpected end');
    if (t === '(') {
      const inner = parseOr();
      if (tokens[pos++] !== ')') throw fail('missing ")"');
      return inner;
    }
    const op = tokens[pos++];
    if (op !== '=' && op !== '!=' && op !== ':' && op !== 'eq' && op !== 'ne') {
      throw fail(`expected an operator after "${unquote(t)}"`);
    }
    const value = tokens[pos++];
    if (value === undefined || value === '(' || value === ')') throw fail(`missing value after "${op}"`);
    return { op, field: t, value: unquote(value) };
  }

  const tree = parseOr();
  if (pos !== tokens.length) throw fail(`unexpected "${tokens[pos]}"`);
  const ops = new Set<string>();
  collectOps(tree, ops);
  const regex = ops.has('eq') || ops.has('ne');
  if (regex && [...ops].some((o) => o === '=' || o === '!=' || o === ':')) {
    throw fail('regular expression (eq, ne) and comparison operators cannot be mixed');
  }
  return (resource) => evaluate(tree, resource);
}

function collectOps(node: Node, ops: Set<string>): void {
  if (node.op === 'and' || node.op === 'or') {
    collectOps(node.left, ops);
    collectOps(node.right, ops);
  } else ops.add(node.op);
}

function evaluate(node: Node, resource: unknown): boolean {
  switch (node.op) {
    case 'and':
      return evaluate(node.left, resource) && evaluate(node.right, resource);
    case 'or':
      return evaluate(node.left, resource) || evaluate(node.right, resource);
  }
  const actual = lookup(resource, node.field);
  const text = actual === undefined || actual === null ? undefined : String(actual);
  switch (node.op) {
    case '=':
      return text === node.value;
    case '!=':
      return text !== node.value;
    case ':':
      return node.value === '*' ? text !== undefined : (text?.includes(node.value) ?? false);
    case 'eq':
      return text !== undefined && new RegExp(`^(?:${node.value})$`).test(text);
    case 'ne':
      return text === undefined || !new RegExp(`^(?:${node.value})$`).test(text);
  }
}

function lookup(resource: unknown, path: string): unknown {
  // Label keys may hold "-", never "."; split on dots only.
  let value: unknown = resource;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '=' || c === ':') {
      tokens.push(c);
      i++;
    } else if (c === '!' && text[i + 1] === '=') {
      tokens.push('!=');
      i += 2;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw invalid('filter', text, 'Invalid list filter expression: unterminated quote.');
      tokens.push(text.slice(i, end + 1));
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s()=:!]/.test(text[j]!)) j++;
      if (j === i) throw invalid('filter', text, `Invalid list filter expression: unexpected "${c}".`);
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

function unquote(token: string): string {
  return /^(["']).*\1$/.test(token) ? token.slice(1, -1) : token;
}
