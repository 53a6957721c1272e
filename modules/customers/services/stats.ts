import type { UnitOfWork } from '../../../src/context';
import { NON_PURCHASE_STATUSES } from '../entities/enums';

/** SQL list of the statuses that are not purchases, for the raw statements below and in the loaders. */
export const NON_PURCHASE_SQL = NON_PURCHASE_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Recomputes `customer.last_order_at` (the sort key of "by last purchase" and the has-ordered filter) from the
 * orders themselves rather than adjusting it, so imports, status changes, merges and moves all stay correct.
 * Raw SQL: one statement for any number of customers; it skips the version column on purpose, since a new order
 * is not an edit of the profile and must not make an agent's open edit conflict.
 */
export async function refreshLastOrderAt(uow: UnitOfWork, customerIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(customerIds)];
  if (!ids.length) return;
  await uow.em.getConnection().execute(
    `update customer c set last_order_at = (
       select max(o.placed_at) from customer_order o
       where o.customer_id = c.id and o.status not in (${NON_PURCHASE_SQL}))
     where c.workspace_id = ? and c.id in (select value::uuid from jsonb_array_elements_text(?::jsonb))`,
    [uow.ctx.workspaceId, JSON.stringify(ids)],
    'run',
    uow.em.getTransactionContext(),
  );
}
