import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { ArgsType, ClassType, Field, Int, ObjectType } from 'type-graphql';
import { COST } from './cost';
import { AppError } from './errors';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

@ObjectType({ description: 'Where a page of a connection stands (Relay)' })
export class PageInfo {
  @Field({ description: 'More items follow the last one of this page' })
  hasNextPage!: boolean;

  @Field({ description: 'Items precede the first one of this page' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item; pass it as `after` for the next page' })
  endCursor!: string | null;
}

/** `first`/`after` of every list (checked by `paginate`); the cost limit multiplies a list's cost by `first`. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many items, 1 to ${MAX_PAGE_SIZE}` })
  first: number = DEFAULT_PAGE_SIZE;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (from pageInfo.endCursor)' })
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface ConnectionShape<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  /** Lazy: the count query runs only when a client selects `totalCount`. */
  totalCount: PromiseLike<number>;
}

/** A promise-like that starts its work only when GraphQL awaits it, i.e. when the field was selected. */
export function lazy<T>(work: () => Promise<T>): PromiseLike<T> {
  let started: Promise<T> | undefined;
  return {
    then(onFulfilled, onRejected) {
      started ??= work();
      return started.then(onFulfilled, onRejected);
    },
  };
}

const connectionTypes = new Map<Function, ClassType<any>>();

/** Builds (once per node type) the `XConnection` and `XEdge` types: `const UserConnection = Connection(User)`. */
export function Connection<T extends object>(nodeType: ClassType<T>, name = nodeType.name): ClassType<ConnectionShape<T>> {
  const built = connectionTypes.get(nodeType);
  if (built) return built;

  @ObjectType(`${name}Edge`, { description: `One ${name} in a connection, with its cursor` })
  class EdgeType {
    @Field({ description: 'Opaque position of this item' })
    cursor!: string;

    @Field(() => nodeType, { description: `The ${name}` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items (Relay cursor connection)` })
  class ConnectionType {
    @Field(() => [EdgeType], { description: 'Items with cursors' })
    edges!: Edge<T>[];

    @Field(() => [nodeType], { description: 'Items without cursors, for convenience' })
    nodes!: T[];

    @Field(() => PageInfo, { description: 'Paging state' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Number of items in the whole list (all pages)', complexity: COST.QUERY })
    totalCount!: PromiseLike<number>;
  }
  connectionTypes.set(nodeType, ConnectionType);
  return ConnectionType as unknown as ClassType<ConnectionShape<T>>;
}

export interface SortKey {
  /** Property used for ordering; the id breaks ties so that the order is total. */
  field: string;
  direction: 'asc' | 'desc';
}

/** The cursor of a node in a list ordered by `field` (then id): base64url of `[sort value, id]`. */
export function cursorOf(node: { id: string }, field: string): string {
  const value = (node as Record<string, unknown>)[field];
  return Buffer.from(JSON.stringify([value instanceof Date ? value.toISOString() : value, node.id])).toString('base64url');
}

/** `first`, checked: 1 to MAX_PAGE_SIZE. */
export function pageSize(args: PageArgs): number {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new AppError('BAD_USER_INPUT', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/**
 * A connection from rows read with one row more than the page (`first + 1`), which tells whether a next page
 * exists; used by `paginate` and by batched loaders that read pages for many parents at once.
 */
export function connectionOf<T extends { id: string }>(
  rows: T[],
  first: number,
  sortField: string,
  afterCursor: boolean,
  totalCount: PromiseLike<number>,
): ConnectionShape<T> {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ node, cursor: cursorOf(node, sortField) }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: afterCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads a cursor back, refusing anything this list could not have produced (it goes into a query). */
function decodeCursor(cursor: string, sortField: string): [unknown, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[1] === 'string' && UUID.test(value[1])) {
      const [sortValue] = value;
      const validSortValue = isTimestampField(sortField)
        ? typeof sortValue === 'string' && !Number.isNaN(Date.parse(sortValue))
        : ['string', 'number'].includes(typeof sortValue);
      if (validSortValue) return value as [unknown, string];
    }
  } catch {
    // not base64 JSON: fall through
  }
  throw new AppError('BAD_USER_INPUT', 'The cursor is not valid: use pageInfo.endCursor from a previous page');
}

const isTimestampField = (field: string) => field.endsWith('At');

/**
 * Keyset pagination over an entity: `where` narrows, `sort` orders (the id breaks ties), `after` continues past
 * a cursor. Reads `first + 1` rows to know whether a next page exists; never uses OFFSET, so page 1,000 costs what
 * page 1 costs. The count runs only when `totalCount` is selected.
 */
export async function paginate<T extends { id: string }>(
  em: EntityManager,
  entity: ClassType<T>,
  where: FilterQuery<T>,
  args: PageArgs,
  sort: SortKey = { field: 'createdAt', direction: 'desc' },
): Promise<ConnectionShape<T>> {
  const first = pageSize(args);
  const operator = sort.direction === 'desc' ? '$lt' : '$gt';
  let pageWhere: FilterQuery<T> = where;
  if (args.after) {
    const [value, id] = decodeCursor(args.after, sort.field);
    const typedValue = isTimestampField(sort.field) ? new Date(value as string) : value;
    pageWhere = {
      $and: [where, { $or: [{ [sort.field]: { [operator]: typedValue } }, { [sort.field]: typedValue, id: { [operator]: id } }] }],
    } as FilterQuery<T>;
  }
  const rows = await em.find(entity, pageWhere, {
    orderBy: { [sort.field]: sort.direction, id: sort.direction } as any,
    limit: first + 1,
  });
  return connectionOf(rows, first, sort.field, Boolean(args.after), lazy(() => em.count(entity, where)));
}
