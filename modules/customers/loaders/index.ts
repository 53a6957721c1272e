import type { RequestContext } from '../../../src/context';
import { byKey, defineLoader, findByIds, groupByKey } from '../../../src/context/loaders';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { ConsentRecord, Customer, CustomerExternalId } from '../entities/customer';
import { Order, OrderItem } from '../entities/order';
import { CustomerTag, Tag } from '../entities/tag';
import { OrderStats } from '../graphql/types';
import { DEFAULT_CURRENCY, Money } from '../../../src/graphql/money';
import { fromCents, toCents } from '../../../src/graphql/scalars';
import { NON_PURCHASE_SQL } from '../services/stats';

/**
 * Customers by uuid. Those the request has already loaded (the customer list that orders and follow-ups hang
 * under) come from the identity map without a statement, as em.find would return those same instances anyway.
 */
export const customerById = defineLoader<string, Customer | null>('customers.customerById', (ids, ctx) => findByIds(ctx, Customer, ids));

export const tagsOfCustomer = defineLoader<string, Tag[]>('customers.tagsOfCustomer', async (ids, ctx) => {
  const taggings = await ctx.em.find(CustomerTag, { customer: { $in: [...ids] } }, { populate: ['tag'], orderBy: { tag: { name: 'asc' } } });
  return groupByKey(ids, taggings, (t) => t.customer.id).map((group) => group.map((t) => t.tag));
});

export const externalIdsOfCustomer = defineLoader<string, CustomerExternalId[]>('customers.externalIdsOfCustomer', async (ids, ctx) =>
  groupByKey(ids, await ctx.em.find(CustomerExternalId, { customer: { $in: [...ids] } }, { orderBy: { platform: 'asc', externalId: 'asc' } }), (e) => e.customer.id),
);

export const consentsOfCustomer = defineLoader<string, ConsentRecord[]>('customers.consentsOfCustomer', async (ids, ctx) =>
  groupByKey(ids, await ctx.em.find(ConsentRecord, { customer: { $in: [...ids] } }, { orderBy: { consentedAt: 'desc' } }), (c) => c.customer.id),
);

export const itemsOfOrder = defineLoader<string, OrderItem[]>('customers.itemsOfOrder', async (ids, ctx) =>
  groupByKey(ids, await ctx.em.find(OrderItem, { order: { $in: [...ids] } }, { orderBy: { sku: 'asc' } }), (i) => i.order.id),
);

/**
 * Purchase statistics for a batch of customers in one statement (raw SQL: an aggregate the ORM does not express).
 * Amounts are summed per currency; the customer's main currency (most purchases) is the one reported.
 */
export const orderStatsOfCustomer = defineLoader<string, OrderStats>('customers.orderStatsOfCustomer', async (ids, ctx) => {
  const rows = await workspaceSql(ctx)<{ customer_id: string; currency: string; n: number; total: string; first: Date; last: Date }>`
    select customer_id, currency, count(*)::int as n, sum(total_amount)::text as total, min(placed_at) as first, max(placed_at) as last
    from customer_order
    where workspace_id = ${WORKSPACE} and customer_id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
      and status not in (${NON_PURCHASE_SQL})
    group by customer_id, currency`;
  return groupByKey(ids, rows, (r) => r.customer_id).map((groups, i) => {
    const stats = Object.assign(new OrderStats(), {
      customerId: ids[i], orderCount: 0, totalSpent: Money.of('0.00', DEFAULT_CURRENCY), averageOrderValue: null, firstPurchaseAt: null, lastPurchaseAt: null,
    });
    if (!groups.length) return stats;
    const main = [...groups].sort((a, b) => b.n - a.n || a.currency.localeCompare(b.currency))[0];
    const cents = toCents(main.total);
    const count = BigInt(main.n);
    return Object.assign(stats, {
      orderCount: groups.reduce((sum, g) => sum + g.n, 0),
      totalSpent: Money.of(fromCents(cents), main.currency),
      // Half-up rounding to the cent, in integers.
      averageOrderValue: Money.of(fromCents((2n * cents + count) / (2n * count)), main.currency),
      firstPurchaseAt: new Date(Math.min(...groups.map((g) => new Date(g.first).getTime()))),
      lastPurchaseAt: new Date(Math.max(...groups.map((g) => new Date(g.last).getTime()))),
    });
  });
});

/** Favorite category and brand (most units bought), for a batch of customers in one statement. */
export const favoritesOfCustomer = defineLoader<string, { category: string | null; brand: string | null }>(
  'customers.favoritesOfCustomer',
  async (ids, ctx) => {
    const rows = await workspaceSql(ctx)<{ customer_id: string; dimension: string; value: string }>`
      with bought as (
         select o.customer_id, i.category, i.brand, i.quantity from order_item i
         join customer_order o on o.workspace_id = i.workspace_id and o.id = i.order_id
         where o.workspace_id = ${WORKSPACE} and o.customer_id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
           and o.status not in (${NON_PURCHASE_SQL})
       ), ranked as (
         select customer_id, 'category' as dimension, category as value, sum(quantity) as units from bought where category is not null group by 1, 3
         union all
         select customer_id, 'brand', brand, sum(quantity) from bought where brand is not null group by 1, 3
       )
       select distinct on (customer_id, dimension) customer_id, dimension, value from ranked
       order by customer_id, dimension, units desc, value`;
    return groupByKey(ids, rows, (r) => r.customer_id).map((group) => ({
      category: group.find((r) => r.dimension === 'category')?.value ?? null,
      brand: group.find((r) => r.dimension === 'brand')?.value ?? null,
    }));
  },
);

/**
 * The currency of each order, for its items' prices (an item is in its order's currency). Items are reached
 * through their order, which the request has usually loaded already: then no statement is needed.
 */
export const currencyOfOrder = defineLoader<string, string | null>('customers.currencyOfOrder', async (ids, ctx) =>
  (await findByIds(ctx, Order, ids)).map((order) => order?.currency ?? null),
);
