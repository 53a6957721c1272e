import type DataLoader from 'dataloader';
import type { RequestContext } from '../../../src/context';
import {
  type ConnectionShape, DEFAULT_PAGE_SIZE, lazy, MAX_PAGE_SIZE, type PageArgs, paginate, type SortKey,
} from '../../../src/graphql/connection';
import { AppError } from '../../../src/graphql/errors';
import { FollowUp } from '../entities/follow-up';
import { Order } from '../entities/order';
import {
  followUpCountOfCustomer, newestFollowUpsOfCustomer, newestKey, newestOrdersOfCustomer, orderCountOfCustomer,
} from '../loaders';

/*
 * `Customer.orders` and `Customer.followUps` are connections inside a customer list: paginated one customer at a
 * time they cost two statements per customer (page and count), 100 customers 200 statements. So:
 * - the first page (no `after`) of every customer in the list comes from one DataLoader statement, and
 * - `totalCount` from one grouped count, whatever the page;
 * - a page after a cursor is one customer's by nature (a cursor belongs to one customer's list) and goes through
 *   `paginate`, one customer at a time.
 * The batched page orders rows as `paginate` does and makes its cursors the same way, so an `endCursor` of a
 * batched page continues on the `paginate` path.
 *
 * Batching is for queries only (`batch`). DataLoaders cache for the whole request (or subscription), and the
 * mutations of one document run one after another in one request: a later mutation's payload would see the page
 * or count cached for an earlier one. Mutation and subscription payloads hold a customer or two, not a list, so
 * they page with `paginate`, fresh each time.
 */

interface NestedList<T> {
  entity: new () => T;
  sort: SortKey;
  newest: (ctx: RequestContext) => DataLoader<string, T[]>;
  count: (ctx: RequestContext) => DataLoader<string, number>;
}

/**
 * A cursor as `paginate` (src/graphql/connection.ts) encodes it, which does not export its encoder: base64url of
 * the JSON `[sort value (dates as ISO strings), id]`. Kept identical so that batched pages and `after` agree.
 */
export function cursorOf(node: { id: string }, field: string): string {
  const value = (node as Record<string, unknown>)[field];
  return Buffer.from(JSON.stringify([value instanceof Date ? value.toISOString() : value, node.id])).toString('base64url');
}

async function nestedConnection<T extends { id: string }>(
  ctx: RequestContext, list: NestedList<T>, customerId: string, page: PageArgs, batch: boolean,
): Promise<ConnectionShape<T>> {
  if (!batch) return paginate(ctx.em, list.entity, { customer: customerId } as any, page, list.sort);
  const totalCount = lazy(() => list.count(ctx).load(customerId));
  if (page.after) return { ...(await paginate(ctx.em, list.entity, { customer: customerId } as any, page, list.sort)), totalCount };
  const first = page.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new AppError('BAD_USER_INPUT', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  // One row more than the page, as paginate reads, to know whether a next page exists.
  const rows = await list.newest(ctx).load(newestKey(first + 1, customerId));
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ node, cursor: cursorOf(node, list.sort.field) }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

const ORDERS: NestedList<Order> = {
  entity: Order, sort: { field: 'placedAt', direction: 'desc' }, newest: newestOrdersOfCustomer, count: orderCountOfCustomer,
};
const FOLLOW_UPS: NestedList<FollowUp> = {
  entity: FollowUp, sort: { field: 'happenedAt', direction: 'desc' }, newest: newestFollowUpsOfCustomer, count: followUpCountOfCustomer,
};

/** A customer's orders, latest first; `batch` inside a query (see above). */
export function ordersOfCustomer(ctx: RequestContext, customerId: string, page: PageArgs, batch: boolean): Promise<ConnectionShape<Order>> {
  return nestedConnection(ctx, ORDERS, customerId, page, batch);
}

/** A customer's follow-ups, latest first; `batch` inside a query (see above). */
export function followUpsOfCustomer(ctx: RequestContext, customerId: string, page: PageArgs, batch: boolean): Promise<ConnectionShape<FollowUp>> {
  return nestedConnection(ctx, FOLLOW_UPS, customerId, page, batch);
}
