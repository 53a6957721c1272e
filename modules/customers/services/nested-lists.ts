import type DataLoader from 'dataloader';
import type { RequestContext } from '../../../src/context';
import {
  type ConnectionShape, connectionOf, lazy, type PageArgs, pageSize, paginate, type SortKey,
} from '../../../src/graphql/connection';
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
 * The cached pages cannot go stale inside a mutation document: RequestContext.transaction clears the request's
 * DataLoaders when a transaction commits.
 */

interface NestedList<T> {
  entity: new () => T;
  sort: SortKey;
  newest: (ctx: RequestContext) => DataLoader<string, T[]>;
  count: (ctx: RequestContext) => DataLoader<string, number>;
}

async function nestedConnection<T extends { id: string }>(
  ctx: RequestContext, list: NestedList<T>, customerId: string, page: PageArgs,
): Promise<ConnectionShape<T>> {
  const totalCount = lazy(() => list.count(ctx).load(customerId));
  if (page.after) return { ...(await paginate(ctx.em, list.entity, { customer: customerId } as any, page, list.sort)), totalCount };
  const first = pageSize(page);
  // One row more than the page, as paginate reads, to know whether a next page exists.
  const rows = await list.newest(ctx).load(newestKey(first + 1, customerId));
  return connectionOf(rows, first, list.sort.field, false, totalCount);
}

const ORDERS: NestedList<Order> = {
  entity: Order, sort: { field: 'placedAt', direction: 'desc' }, newest: newestOrdersOfCustomer, count: orderCountOfCustomer,
};
const FOLLOW_UPS: NestedList<FollowUp> = {
  entity: FollowUp, sort: { field: 'happenedAt', direction: 'desc' }, newest: newestFollowUpsOfCustomer, count: followUpCountOfCustomer,
};

/** A customer's orders, latest first. */
export function ordersOfCustomer(ctx: RequestContext, customerId: string, page: PageArgs): Promise<ConnectionShape<Order>> {
  return nestedConnection(ctx, ORDERS, customerId, page);
}

/** A customer's follow-ups, latest first. */
export function followUpsOfCustomer(ctx: RequestContext, customerId: string, page: PageArgs): Promise<ConnectionShape<FollowUp>> {
  return nestedConnection(ctx, FOLLOW_UPS, customerId, page);
}
