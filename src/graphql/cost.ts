/**
 * What a field costs, Shopify's model: reading a scalar of a loaded object is free, an object costs 1, a list
 * paged by `first`/`last` costs that many times one item, and a mutation costs MUTATION. Fields whose work is
 * more than a read declare their cost with type-graphql's `complexity` option (a count query, a password hash).
 */
export const COST = {
  /** An object that is a value of its parent (Money), read with it: free, like a scalar. */
  VALUE: 0,
  /** Any mutation without a declared cost: a transaction, an audit entry, an event. */
  MUTATION: 10,
  /** A field that runs its own SQL statement for one value (totalCount). */
  QUERY: 1,
  /** A bulk mutation of up to 1,000 rows (ordersImport). */
  BULK: 100,
  /** A mutation that hashes a password with scrypt (about 80 ms of CPU) or creates a workspace. */
  PASSWORD_HASH: 200,
} as const;
