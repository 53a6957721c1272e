import { wrap } from '@mikro-orm/core';
import type { WriteTransaction } from '../../../src/context';
import { sqlText, WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { Customer } from '../entities/customer';
import { NON_PURCHASE_STATUSES } from '../entities/enums';

/** SQL list of the statuses that are not purchases, for the raw statements below and in the loaders. */
export const NON_PURCHASE_SQL = sqlText(NON_PURCHASE_STATUSES.map((s) => `'${s}'`).join(', '));

/**
 * Recomputes `customer.last_order_at` (the sort key of "by last purchase" and the has-ordered filter) from the
 * orders themselves rather than adjusting it, so imports, status changes, merges and moves all stay correct.
 * Raw SQL: one statement for any number of customers; it skips the version column on purpose, since a new order
 * is not an edit of the profile and must not make an agent's open edit conflict.
 *
 * Customers this request has already loaded (the merge's kept customer; a customer an earlier mutation of the
 * document read) are read again afterwards, as the ORM cannot see a raw update: a payload returns them, and would
 * show the old last purchase. Their pending changes are flushed first so that the refresh does not drop them.
 */
export async function refreshLastOrderAt(tx: WriteTransaction, customerIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(customerIds)];
  if (!ids.length) return;
  await workspaceSql(tx)`
    update customer c set last_order_at = (
      select max(o.placed_at) from customer_order o
      where o.workspace_id = c.workspace_id and o.customer_id = c.id and o.status not in (${NON_PURCHASE_SQL}))
    where c.workspace_id = ${WORKSPACE} and c.id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;
  const loaded = ids
    .map((id) => tx.em.getUnitOfWork().getById<Customer>(Customer.name, id))
    .filter((c): c is Customer => !!c && wrap(c).isInitialized());
  if (!loaded.length) return;
  await tx.em.flush();
  for (const customer of loaded) await tx.em.refresh(customer);
}
