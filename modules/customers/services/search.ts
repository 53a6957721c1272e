import type { FilterQuery } from '@mikro-orm/postgresql';
import type { RequestContext } from '../../../src/context';
import { paginate } from '../../../src/graphql/connection';
import { AppError } from '../../../src/graphql/errors';
import { addDays } from '../../../src/kernel/clock';
import { escapeLike } from '../../../src/kernel/text';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { Customer } from '../entities/customer';
import { FollowUp } from '../entities/follow-up';
import { Order } from '../entities/order';
import { CustomerTag } from '../entities/tag';
import {
  BIRTHDAY_SORT, CUSTOMER_SORT, FOLLOW_UP_DUE_SORT, type BirthdayArgs, type CustomersArgs, type FollowUpsDueArgs,
  ORDER_SORT, type OrdersArgs,
} from '../graphql/args';
import { CUSTOMER_PERMISSIONS } from '../permissions';
import { normalisePhone } from './contact';

/** A uuid no row has: what an id that names nothing (malformed, of another type) matches. */
const NO_ROW = '00000000-0000-0000-0000-000000000000';

/**
 * Search: a case-insensitive substring (ILIKE, so 张 and 小明 match inside names) of the name, nickname, customer
 * number and external ids; callers with `customers:pii` also match phone and email. Without that permission a
 * phone number could be confirmed by searching for it, which masking is meant to prevent.
 */
function searchCondition(ctx: RequestContext, raw: string): FilterQuery<Customer> | undefined {
  const term = raw.trim().toLowerCase();
  if (!term) return undefined;
  const conditions: FilterQuery<Customer>[] = [{ searchText: { $ilike: `%${escapeLike(term)}%` } }];
  if (ctx.can(CUSTOMER_PERMISSIONS.pii)) {
    // A whole number matches in its stored form (+852 9123 4567 → +85291234567); a part of one by its digits.
    const digits = term.replace(/[\s()-]/g, '');
    const phone = normalisePhone(term) ?? (/^\+?\d+$/.test(digits) ? digits.replace(/^\+?86(?=1)/, '') : undefined);
    if (phone) conditions.push({ phone: { $like: `%${phone}%` } });
    conditions.push({ email: { $like: `%${escapeLike(term)}%` } });
  }
  return { $or: conditions };
}

/**
 * A filter's class-validator rules (lengths of `search`, `orderNo`…), which the schema does not run (it is built
 * with `validate: false`). Queries have no userErrors, so a broken rule is a BAD_USER_INPUT error naming the field.
 */
async function checkFilter(filter: object): Promise<void> {
  try {
    await validateInput(filter, ['filter']);
  } catch (error) {
    if (!(error instanceof UserInputFailure)) throw error;
    throw new AppError('BAD_USER_INPUT', error.message, { field: error.userErrors[0].field, reason: error.userErrors[0].code });
  }
}

/** The customers of a filter, as a keyset-paginated connection. */
export async function listCustomers(ctx: RequestContext, args: CustomersArgs) {
  const filter = args.filter ?? undefined;
  if (filter) await checkFilter(filter);
  const where: FilterQuery<Customer>[] = [];
  const search = filter?.search ? searchCondition(ctx, filter.search) : undefined;
  if (search) where.push(search);
  if (filter?.kind) where.push({ kind: filter.kind });
  if (filter?.region?.province) where.push({ province: filter.region.province.trim() });
  if (filter?.region?.city) where.push({ city: filter.region.city.trim() });
  if (filter?.hasOrdered != null) where.push({ lastOrderAt: filter.hasOrdered ? { $ne: null } : null });
  if (filter?.createdAfter) where.push({ createdAt: { $gte: filter.createdAfter } });
  if (filter?.createdBefore) where.push({ createdAt: { $lt: filter.createdBefore } });
  if (filter?.tagIds?.length) {
    const tagIds = [...new Set(filter.tagIds.map((id) => tryFromGlobalId(id, 'Tag') ?? NO_ROW))];
    // Customers carrying every one of the tags; a sub-select keeps it one statement and lets paginate stay keyset.
    // The ORM's query builder, with the workspace filter every ORM query has (a builder has it only when asked).
    const carriers = ctx.em.createQueryBuilder(CustomerTag, 'ct')
      .select('ct.customer')
      .where({ tag: { $in: tagIds } })
      .groupBy('ct.customer')
      .having('count(distinct ct.tag_id) = ?', [tagIds.length]);
    await carriers.applyFilters();
    where.push({ id: { $in: carriers.getKnexQuery() as any } });
  }
  const sort = CUSTOMER_SORT.sortKey(args.sort);
  // Keyset paging needs a value to compare: customers who never bought have none and are left out of this order.
  if (sort.field === 'lastOrderAt') where.push({ lastOrderAt: { $ne: null } });
  return paginate(ctx.em, Customer, where.length ? { $and: where } : {}, args, sort);
}

/**
 * Orders of the workspace by order number, external id, platform, customer, state and time placed, as a
 * keyset-paginated connection: what an agent pastes into the workbench to find an order and its customer.
 * Backed by indexes on (workspace, order_no), (workspace, external_id), (workspace, platform, external_id),
 * (customer, placed_at) and (workspace, placed_at, id).
 */
export async function listOrders(ctx: RequestContext, args: OrdersArgs) {
  const filter = args.filter ?? undefined;
  if (filter) await checkFilter(filter);
  const where: FilterQuery<Order>[] = [];
  if (filter?.orderNo != null) where.push({ orderNo: filter.orderNo.trim() });
  if (filter?.externalId != null) where.push({ externalId: filter.externalId.trim() });
  if (filter?.platform != null) where.push({ platform: filter.platform.trim().toLowerCase() });
  if (filter?.customerId != null) where.push({ customer: tryFromGlobalId(filter.customerId, 'Customer') ?? NO_ROW });
  if (filter?.status?.length) where.push({ status: { $in: filter.status } });
  if (filter?.placedAfter) where.push({ placedAt: { $gte: filter.placedAfter } });
  if (filter?.placedBefore) where.push({ placedAt: { $lt: filter.placedBefore } });
  return paginate(ctx.em, Order, where.length ? { $and: where } : {}, args, ORDER_SORT.sortKey(args.sort));
}

/** `MM-DD` of each day from `today` for `days` days; 02-29 rides along with 02-28 in common years. */
function monthDaysAhead(today: string, days: number): string[] {
  const result = new Set<string>();
  for (let i = 0; i <= days; i++) {
    const day = addDays(today, i);
    const md = day.slice(5);
    result.add(md);
    const year = Number(day.slice(0, 4));
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    if (md === '02-28' && !leap) result.add('02-29');
  }
  return [...result];
}

export const MAX_CARE_DAYS = 60;

function checkDays(days: number) {
  if (!Number.isInteger(days) || days < 0 || days > MAX_CARE_DAYS) throw new AppError('BAD_USER_INPUT', `days must be between 0 and ${MAX_CARE_DAYS}`);
}

/** Customers whose birthday falls within the next `days` days (from today in the workspace), by month and day. */
export async function upcomingBirthdays(ctx: RequestContext, args: BirthdayArgs) {
  checkDays(args.days);
  const today = (await ctx.clock()).today();
  return paginate(ctx.em, Customer, { birthdayMonthDay: { $in: monthDaysAhead(today, args.days) } }, args, BIRTHDAY_SORT.sortKey(args.sort));
}

/** Pending follow-ups planned for today (in the workspace) plus `days` days or earlier (overdue ones included), soonest first. */
export async function followUpsDue(ctx: RequestContext, args: FollowUpsDueArgs) {
  checkDays(args.days);
  const horizon = addDays((await ctx.clock()).today(), args.days);
  return paginate(ctx.em, FollowUp, { pending: true, nextFollowUpOn: { $lte: horizon } }, args, FOLLOW_UP_DUE_SORT.sortKey(args.sort));
}
