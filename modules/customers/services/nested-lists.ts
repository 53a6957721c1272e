import type DataLoader from 'dataloader';
import type { RequestContext } from '../../../src/context';
import {
  type ConnectionShape, connectionOf, lazy, type ListSort, type PageArgs, pageRequest, paginate, scanDirection, type SortInput,
} from '../../../src/graphql/connection';
import { FollowUp } from '../entities/follow-up';
import { Order } from '../entities/order';
import { FOLLOW_UP_SORT, ORDER_SORT } from '../graphql/args';
import {
  followUpCountOfCustomer, followUpsPageOfCustomer, orderCountOfCustomer, ordersPageOfCustomer, pageKey,
} from '../loaders';

/*
 * `Customer.orders` and `Customer.followUps` are connections inside a customer list: paginated one customer at a
 * time they cost two statements per customer (page and count), 100 customers 200 statements. So:
 * - a page from either end of the list (no `after` or `before`: `first` reads the start, `last` the end) of every
 *   customer in the list comes from one DataLoader statement, and
 * - `totalCount` from one grouped count, whatever the page;
 * - a page from a cursor is one customer's by nature (a cursor belongs to one customer's list) and goes through
 *   `paginate`, one customer at a time.
 * The batched page orders rows as `paginate` does and makes its cursors the same way, so a cursor of a batched
 * page continues on the `paginate` path, in either direction.
 *
 * The cached pages cannot go stale inside a mutation document: RequestContext.transaction clears the request's
 * DataLoaders when a transaction commits.
 */

type SortArgs = PageArgs & { sort?: SortInput<any> | null };

interface NestedList<T> {
  entity: new () => T;
  sort: ListSort<any>;
  page: (ctx: RequestContext) => DataLoader<string, T[]>;
  count: (ctx: RequestContext) => DataLoader<string, number>;
}

async function nestedConnection<T extends { id: string }>(
  ctx: RequestContext, list: NestedList<T>, customerId: string, args: SortArgs,
): Promise<ConnectionShape<T>> {
  const totalCount = lazy(() => list.count(ctx).load(customerId));
  const sort = list.sort.sortKey(args.sort);
  const page = pageRequest(args, sort);
  if (page.cursor) return { ...(await paginate(ctx.em, list.entity, { customer: customerId } as any, args, sort)), totalCount };
  // One row more than the page, as paginate reads, to know whether the list goes on.
  const rows = await list.page(ctx).load(pageKey(page.size + 1, sort, scanDirection(page, sort), customerId));
  return connectionOf(rows, page, sort, totalCount);
}

const ORDERS: NestedList<Order> = { entity: Order, sort: ORDER_SORT, page: ordersPageOfCustomer, count: orderCountOfCustomer };
const FOLLOW_UPS: NestedList<FollowUp> = {
  entity: FollowUp, sort: FOLLOW_UP_SORT, page: followUpsPageOfCustomer, count: followUpCountOfCustomer,
};

/** A customer's orders, latest first unless sorted otherwise. */
export function ordersOfCustomer(ctx: RequestContext, customerId: string, args: SortArgs): Promise<ConnectionShape<Order>> {
  return nestedConnection(ctx, ORDERS, customerId, args);
}

/** A customer's follow-ups, latest first unless sorted otherwise. */
export function followUpsOfCustomer(ctx: RequestContext, customerId: string, args: SortArgs): Promise<ConnectionShape<FollowUp>> {
  return nestedConnection(ctx, FOLLOW_UPS, customerId, args);
}
