/**
 * `value`, or an Error saying `what` is missing when it is undefined. For an element or entry the caller knows is
 * there (an index within bounds, a key it has just set, the row a query always returns): with
 * noUncheckedIndexedAccess those read as possibly undefined, and a broken invariant then fails here, by name,
 * instead of further on.
 */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}
