import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { ArgsType, ClassType, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { COST } from './cost';
import { AppError } from './errors';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

@ObjectType({ description: 'Where a page of a connection stands (Relay)' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More items follow the last one of this page' })
  hasNextPage!: boolean | PromiseLike<boolean>;

  @Field(() => Boolean, { description: 'Items precede the first one of this page' })
  hasPreviousPage!: boolean | PromiseLike<boolean>;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item; pass it as `before` for the previous page' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item; pass it as `after` for the next page' })
  endCursor!: string | null;
}

/**
 * The paging arguments of every list (Relay): `first` with `after` pages forwards, `last` with `before` backwards;
 * `paginate` refuses any other mix. The cost limit prices a list by its page size (src/server/limits.ts).
 */
@ArgsType()
export class PageArgs {
  @Field(() => Int, {
    nullable: true,
    description: `How many items from the start of the list (or after \`after\`), 1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when neither first nor last is given`,
  })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (from pageInfo.endCursor); goes with first' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `How many items from the end of the list (or before \`before\`), 1 to ${MAX_PAGE_SIZE}` })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items before this cursor (from pageInfo.startCursor); goes with last' })
  before?: string | null;
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

/* ------------------------------------------------------------------------------------------------------------ *
 * Sort order. One convention for every list: a `sort: XSort` argument, `{ field: XSortField, direction }`, where *
 * the list names the fields it offers (each with its natural direction, used when `direction` is not given).     *
 * ------------------------------------------------------------------------------------------------------------ */

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, {
  name: 'SortDirection',
  description: 'Direction of a sort',
  valuesConfig: { ASC: { description: 'Smallest, oldest or A first' }, DESC: { description: 'Largest, newest or Z first' } },
});

/**
 * What a sort value is, so that a cursor's value is checked before it reaches a query: `timestamp` (a
 * timestamptz property, ISO instant in the cursor), `date` (a date property, `YYYY-MM-DD`), `text`, `integer` (a
 * number in the cursor, e.g. a message's seq).
 */
export type SortValueType = 'timestamp' | 'date' | 'text' | 'integer';

export interface SortKey {
  /** Property used for ordering; the id breaks ties so that the order is total. Its values are never null. */
  field: string;
  type: SortValueType;
  direction: 'asc' | 'desc';
}

export interface SortField {
  /** Entity property ordered by (never null in the list: a list sorted by a nullable one leaves the nulls out). */
  property: string;
  type: SortValueType;
  /** Direction when the client gives none. */
  direction: SortDirection;
  description: string;
}

export interface SortInput<F extends string = string> {
  field: F;
  direction?: SortDirection | null;
}

export interface ListSort<F extends string> {
  /** The list's arguments: PageArgs and `sort`. Extend it to add filters. */
  Args: ClassType<PageArgs & { sort?: SortInput<F> | null }>;
  /** The sort key of a `sort` argument (the list's default when absent). */
  sortKey(sort: SortInput<F> | null | undefined): SortKey;
}

/**
 * Declares the orders a list offers: the `<name>Sort` input, its `<name>SortField` enum and the list's arguments.
 *
 *   const TAG_SORT = defineSort('Tag', { NAME: { property: 'name', type: 'text', direction: SortDirection.ASC, description: '…' } }, 'NAME');
 *   tags(@Args(() => TAG_SORT.Args) args) { return paginate(ctx.em, Tag, {}, args, TAG_SORT.sortKey(args.sort)); }
 */
export function defineSort<F extends string>(name: string, fields: Record<F, SortField>, defaultField: NoInfer<F>): ListSort<F> {
  const names = Object.keys(fields) as F[];
  const fieldEnum = Object.fromEntries(names.map((f) => [f, f]));
  registerEnumType(fieldEnum, {
    name: `${name}SortField`,
    description: `What a list of ${name} items can be sorted by`,
    valuesConfig: Object.fromEntries(names.map((f) => [f, { description: `${fields[f].description} (default direction ${fields[f].direction})` }])),
  });

  @InputType(`${name}Sort`, { description: `Order of a list of ${name} items; ties are broken by id, in the same direction` })
  class SortInputType {
    @Field(() => fieldEnum, { defaultValue: defaultField, description: 'What to sort by' })
    field!: F;

    @Field(() => SortDirection, { nullable: true, description: "ASC or DESC; the field's own default direction when not given" })
    direction?: SortDirection | null;
  }

  @ArgsType()
  class ListArgs extends PageArgs {
    @Field(() => SortInputType, { nullable: true, description: `Order; by default ${defaultField} ${fields[defaultField].direction}` })
    sort?: SortInputType | null;
  }

  return {
    Args: ListArgs,
    sortKey(sort) {
      const chosen = fields[sort?.field ?? defaultField];
      const direction = sort?.direction ?? chosen.direction;
      return { field: chosen.property, type: chosen.type, direction: direction === SortDirection.ASC ? 'asc' : 'desc' };
    },
  };
}

/* ------------------------------------------------------------------------------------------------------------ *
 * Cursors and pages                                                                                            *
 * ------------------------------------------------------------------------------------------------------------ */

/** The cursor of a node in a list ordered by `field` (then id): base64url of `[sort value, id]`. */
export function cursorOf(node: { id: string }, field: string): string {
  const value = (node as Record<string, unknown>)[field];
  return Buffer.from(JSON.stringify([value instanceof Date ? value.toISOString() : value, node.id])).toString('base64url');
}

export interface Cursor {
  /** The sort value, typed for the query: a Date for timestamps, a number for integers, a string otherwise. */
  value: Date | string | number;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_INSTANT = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_DATE = /^(\d{4})-\d{2}-\d{2}$/;
/** Longer than any cursor this server makes (sort values are at most a few hundred characters). */
const MAX_CURSOR_LENGTH = 2000;
const MAX_TEXT_SORT_VALUE = 1000;
/** A NUL (PostgreSQL text cannot hold it) or a UTF-16 surrogate without its pair (not text at all). */
const NOT_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A sort value as this server writes it into cursors, or undefined. PostgreSQL would answer anything else with an
 * error (a year 0, a NUL byte, a number compared with a timestamp), which must be the client's BAD_USER_INPUT, not
 * an internal error; and only values the cursor could hold are let through.
 */
function sortValueOf(raw: unknown, type: SortValueType): Date | string | number | undefined {
  if (type === 'integer') return Number.isSafeInteger(raw) ? (raw as number) : undefined;
  if (typeof raw !== 'string') return undefined;
  if (type === 'timestamp') {
    const year = ISO_INSTANT.exec(raw)?.[1];
    const date = new Date(raw);
    // The round trip refuses impossible dates (02-30) that Date would roll over; years 1 to 9999 fit PostgreSQL.
    return year && Number(year) >= 1 && !Number.isNaN(date.getTime()) && date.toISOString() === raw ? date : undefined;
  }
  if (type === 'date') {
    const year = ISO_DATE.exec(raw)?.[1];
    const date = new Date(`${raw}T00:00:00.000Z`);
    return year && Number(year) >= 1 && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === raw ? raw : undefined;
  }
  return raw.length <= MAX_TEXT_SORT_VALUE && !NOT_TEXT.test(raw) ? raw : undefined;
}

/**
 * Reads a cursor back, refusing anything this list could not have produced (it goes into a query): the one place
 * cursors are checked. A bad cursor is BAD_USER_INPUT naming the argument.
 */
export function decodeCursor(cursor: string, sort: Pick<SortKey, 'type'>, argument: 'after' | 'before'): Cursor {
  let decoded: unknown;
  if (cursor.length <= MAX_CURSOR_LENGTH && /^[A-Za-z0-9_-]*$/.test(cursor)) {
    try {
      decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      // not base64 JSON: refused below
    }
  }
  if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[1] === 'string' && UUID.test(decoded[1])) {
    const value = sortValueOf(decoded[0], sort.type);
    if (value !== undefined) return { value, id: decoded[1].toLowerCase() };
  }
  throw new AppError('BAD_USER_INPUT', `The ${argument} cursor is not valid for this list: use a cursor from its pageInfo or edges`, {
    field: [argument],
  });
}

/** A checked page request: how many items, from which end, from which cursor. */
export interface PageRequest {
  size: number;
  /** `last`/`before`: the page is read from the end (or from `before`) towards the start. */
  backward: boolean;
  cursor?: Cursor;
}

/** Checks the paging arguments (Relay: first+after, or last+before) and decodes the cursor. */
export function pageRequest(args: PageArgs, sort: Pick<SortKey, 'type'>): PageRequest {
  const { first, after, last, before } = args;
  if (first != null && last != null) throw new AppError('BAD_USER_INPUT', 'Pass first (with after) or last (with before), not both');
  if (after != null && before != null) throw new AppError('BAD_USER_INPUT', 'Pass after (with first) or before (with last), not both');
  if ((first != null && before != null) || (last != null && after != null)) {
    throw new AppError('BAD_USER_INPUT', 'Page forwards with first and after, or backwards with last and before; do not mix them');
  }
  const backward = last != null || before != null;
  const size = first ?? last ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new AppError('BAD_USER_INPUT', `${backward ? 'last' : 'first'} must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  const cursor = after != null ? decodeCursor(after, sort, 'after') : before != null ? decodeCursor(before, sort, 'before') : undefined;
  return { size, backward, cursor };
}

const reversed = (direction: 'asc' | 'desc') => (direction === 'asc' ? 'desc' : 'asc');

/** The direction rows are read in: the list's own, or the reverse when paging backwards. */
export function scanDirection(page: PageRequest, sort: SortKey): 'asc' | 'desc' {
  return page.backward ? reversed(sort.direction) : sort.direction;
}

/** Rows strictly past the cursor when reading in `direction` (sort value, then id). */
function pastCursor(sort: SortKey, direction: 'asc' | 'desc', cursor: Cursor): Record<string, unknown> {
  const past = direction === 'asc' ? '$gt' : '$lt';
  return { $or: [{ [sort.field]: { [past]: cursor.value } }, { [sort.field]: cursor.value, id: { [past]: cursor.id } }] };
}

/**
 * A connection from rows read in `scanDirection` with one row more than the page (`size + 1`), which tells
 * whether the list goes on in the reading direction. `beyondCursor` tells whether items lie on the other side of
 * the cursor (before `after`, or from `before` on); it is lazy, so its statement runs only when selected. Used by
 * `paginate` and by batched loaders that read first pages for many parents at once.
 */
export function connectionOf<T extends { id: string }>(
  rows: T[],
  page: PageRequest,
  sort: SortKey,
  totalCount: PromiseLike<number>,
  beyondCursor: boolean | PromiseLike<boolean> = false,
): ConnectionShape<T> {
  const read = rows.slice(0, page.size);
  const nodes = page.backward ? read.reverse() : read;
  const goesOn = rows.length > page.size;
  const edges = nodes.map((node) => ({ node, cursor: cursorOf(node, sort.field) }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: page.backward ? beyondCursor : goesOn,
      hasPreviousPage: page.backward ? goesOn : beyondCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

/**
 * Keyset pagination over an entity: `where` narrows, `sort` orders (the id breaks ties), `first`/`after` read
 * forwards from the start or a cursor, `last`/`before` backwards from the end or a cursor. Reads `size + 1` rows
 * to know whether the list goes on; never uses OFFSET, so page 1,000 costs what page 1 costs. The count, and the
 * look behind the cursor for the other side's `has…Page`, run only when selected.
 */
export async function paginate<T extends { id: string }>(
  em: EntityManager,
  entity: ClassType<T>,
  where: FilterQuery<T>,
  args: PageArgs,
  sort: SortKey = { field: 'createdAt', type: 'timestamp', direction: 'desc' },
): Promise<ConnectionShape<T>> {
  const page = pageRequest(args, sort);
  const direction = scanDirection(page, sort);
  const { cursor } = page;
  const pageWhere = cursor ? ({ $and: [where, pastCursor(sort, direction, cursor)] } as FilterQuery<T>) : where;
  const rows = await em.find(entity, pageWhere, {
    orderBy: { [sort.field]: direction, id: direction } as any,
    limit: page.size + 1,
  });
  // The cursor's own row counts as behind it: "items precede this page" is true when `after` names a listed item.
  const behind = cursor
    ? lazy(async () => (await em.find(entity, { $and: [where, { $not: pastCursor(sort, direction, cursor) }] } as FilterQuery<T>, { limit: 1 })).length > 0)
    : false;
  return connectionOf(rows, page, sort, lazy(() => em.count(entity, where)), behind);
}
