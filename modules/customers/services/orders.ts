import { randomUUID } from 'node:crypto';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { fromCents, isMoney, toCents } from '../../../src/graphql/scalars';
import { UserError, UserErrorCode, UserInputFailure, userErrorsFrom, validateInput } from '../../../src/graphql/user-errors';
import { CustomerKind } from '../entities/enums';
import { Order } from '../entities/order';
import type { OrderInput, OrdersImportInput } from '../graphql/inputs';
import { ImportUserError, OrdersImportPayload } from '../graphql/types';
import { CUSTOMER_EVENTS } from '../events';
import { erasedCustomerError } from './customers';
import { normalizeCode } from './codes';
import { issueCustomerNumbers } from './numbers';
import { searchTextOf } from './profile';
import { refreshLastOrderAt } from './stats';

/*
 * Orders are written with raw SQL in the caller's transaction (workspaceSql): an import call carries up to 1,000
 * orders and must sustain 70,000 orders in under a minute, which the ORM's per-entity unit of work cannot do. Every
 * statement below takes its rows as one jsonb parameter (jsonb_to_recordset), so a call costs a handful of
 * statements whatever its size.
 */

const DATE_FIELDS = ['paidAt', 'shippedAt', 'deliveredAt'] as const;

const importError = (index: number | null, error: UserError): ImportUserError =>
  Object.assign(new ImportUserError(), { ...error, index });

/** Everything wrong with one order that can be told without the database. */
async function rowProblems(row: OrderInput, path: string[]): Promise<UserError[]> {
  const problems: UserError[] = [];
  try {
    await validateInput(row, path);
  } catch (error) {
    if (!(error instanceof UserInputFailure)) throw error;
    problems.push(...error.userErrors);
  }
  if (!row.customerId === !row.customerExternalId) {
    problems.push(UserError.of([...path, 'customerId'], 'Name the customer with exactly one of customerId and customerExternalId', UserErrorCode.ONE_OF_REQUIRED));
  }
  const amountsValid = isMoney(row.totalAmount) && row.items.every((item) => isMoney(item.unitPrice) && Number.isInteger(item.quantity));
  if (amountsValid && row.items.length) {
    const itemsTotal = row.items.reduce((sum, item) => sum + toCents(item.unitPrice) * BigInt(item.quantity), 0n);
    if (itemsTotal !== toCents(row.totalAmount)) {
      problems.push(UserError.of([...path, 'totalAmount'], `totalAmount ${fromCents(toCents(row.totalAmount))} disagrees with the items, which add up to ${fromCents(itemsTotal)}`, UserErrorCode.AMOUNT_MISMATCH));
    }
  }
  for (const key of DATE_FIELDS) {
    if (row[key] && row[key]! < row.placedAt) problems.push(UserError.of([...path, key], `${key} cannot be before placedAt`, UserErrorCode.DATE_OUT_OF_ORDER));
  }
  if (row.shippedAt && row.deliveredAt && row.deliveredAt < row.shippedAt) {
    problems.push(UserError.of([...path, 'deliveredAt'], 'deliveredAt cannot be before shippedAt', UserErrorCode.DATE_OUT_OF_ORDER));
  }
  return problems;
}

interface ValidRow {
  index: number;
  row: OrderInput;
  customerId?: string;
}

export interface OrdersWritten {
  /** Per input row: the order written, or undefined for a refused row. */
  results: ({ orderId: string; customerId: string; created: boolean } | undefined)[];
  createdCustomers: number;
  errors: ImportUserError[];
}

/**
 * Writes the valid rows and reports the others: validation, customers by id or by external id (creating the
 * unknown ones), the order upsert by (platform, externalId), its items, and the customers' last purchase.
 */
async function writeOrders(tx: WriteTransaction, rows: OrderInput[], pathOf: (index: number) => string[]): Promise<OrdersWritten> {
  const sql = workspaceSql(tx);
  // created_at / updated_at of every row written here, from the application rather than now(): millisecond
  // precision like the ORM's own timestamps. Keyset cursors hold milliseconds, so rows created by one call at the
  // same microsecond instant (now() is fixed per transaction) would fall between two cursors and never be listed.
  const stamp = new Date().toISOString();
  const errors: ImportUserError[] = [];
  const refuse = (index: number, field: string, message: string, code: UserErrorCode) =>
    errors.push(importError(index, UserError.of([...pathOf(index), field], message, code)));

  const valid: ValidRow[] = [];
  const firstRowOfKey = new Map<string, number>();
  for (const [index, row] of rows.entries()) {
    row.platform = normalizeCode(row.platform);
    row.currency = row.currency.trim().toUpperCase();
    row.externalId = row.externalId.trim();
    const problems = await rowProblems(row, pathOf(index));
    const key = `${row.platform}\u0000${row.externalId}`;
    if (!problems.length && firstRowOfKey.has(key)) {
      problems.push(UserError.of([...pathOf(index), 'externalId'], `Row ${firstRowOfKey.get(key)} already has this platform and externalId`, UserErrorCode.DUPLICATE));
    }
    if (problems.length) errors.push(...problems.map((p) => importError(index, p)));
    else {
      firstRowOfKey.set(key, index);
      valid.push({ index, row });
    }
  }

  // Customers named by their id on the order's platform: looked up now, locked below with the others. Unknown
  // ones are created.
  const byExternal = valid.filter((v) => v.row.customerExternalId);
  const externalKey = (v: ValidRow) => `${v.row.platform}\u0000${v.row.customerExternalId!.trim()}`;
  const lookUp = async (list: ValidRow[]) => {
    const keys = [...new Map(list.map((v) => [externalKey(v), { platform: v.row.platform, external_id: v.row.customerExternalId!.trim() }])).values()];
    const links = keys.length
      ? await sql<{ customer_id: string; platform: string; external_id: string }>`
          select e.customer_id, e.platform, e.external_id from customer_external_id e
          join jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(platform text, external_id text) on e.platform = k.platform and e.external_id = k.external_id
          where e.workspace_id = ${WORKSPACE}`
      : [];
    const map = new Map(links.map((l) => [`${l.platform}\u0000${l.external_id}`, l.customer_id]));
    for (const v of list) v.customerId = map.get(externalKey(v));
    return list.filter((v) => !v.customerId);
  };
  let unknown = await lookUp(byExternal);
  let createdCustomers = 0;
  const createdIds = new Set<string>();
  if (unknown.length) {
    // Concurrent imports naming the same new buyer must not both create them: take the workspace's import lock,
    // then look again, since the holder before us may have created them. Taken before any customer row lock, so
    // an import never holds a row while it waits here.
    await sql`select pg_advisory_xact_lock(hashtext('customers.import'), hashtext(${WORKSPACE}))`;
    unknown = await lookUp(unknown);
    const newCustomers = [...new Map(unknown.map((v) => [externalKey(v), v])).values()];
    if (newCustomers.length) {
      const numbers = await issueCustomerNumbers(tx, newCustomers.length);
      const created = newCustomers.map((v, i) => {
        const externalId = v.row.customerExternalId!.trim();
        const name = v.row.customerName?.trim() || externalId;
        return { id: randomUUID(), customer_no: numbers[i], name, search_text: searchTextOf({ name, customerNo: numbers[i] }, [externalId]), platform: v.row.platform, external_id: externalId };
      });
      await sql`
        insert into customer (id, created_at, updated_at, workspace_id, customer_no, kind, name, search_text, version)
        select r.id, ${stamp}::timestamptz, ${stamp}::timestamptz, ${WORKSPACE}, r.customer_no, ${CustomerKind.INDIVIDUAL}::customer_kind, r.name, r.search_text, 1
        from jsonb_to_recordset(${JSON.stringify(created)}::jsonb) as r(id uuid, customer_no text, name text, search_text text)`;
      await sql`
        insert into customer_external_id (id, created_at, updated_at, workspace_id, customer_id, platform, external_id)
        select gen_random_uuid(), ${stamp}::timestamptz, ${stamp}::timestamptz, ${WORKSPACE}, r.id, r.platform, r.external_id
        from jsonb_to_recordset(${JSON.stringify(created)}::jsonb) as r(id uuid, platform text, external_id text)`;
      createdCustomers = created.length;
      for (const c of created) createdIds.add(c.id);
      const idOf = new Map(created.map((c) => [`${c.platform}\u0000${c.external_id}`, c.id]));
      for (const v of unknown) v.customerId = idOf.get(externalKey(v));
    }
  }

  /*
   * Lock every existing customer the rows write to, and those the upserts move orders away from (their last purchase
   * is recomputed), in one statement in id order: FOR NO KEY UPDATE, since refreshLastOrderAt updates these rows.
   * A merge or erase holding one of them makes us wait, and we then read it as it is now: gone (merged away) or
   * erased. customerMerge and customerErase lock the same rows, so an order never lands on a customer that is
   * being deleted or erased. Customers created above are ours until commit and need no lock. Not lockCustomers
   * (the lock other writers and modules take): it loads entities, and refreshLastOrderAt reads every loaded
   * customer again one by one, a thousand statements for a large import; this reads the two columns it needs.
   */
  const lockAndRead = async (ids: string[], orderKeys: { platform: string; external_id: string }[]) => {
    const rowsRead = ids.length || orderKeys.length
      ? await sql<{ id: string; customer_no: string; erased_at: string | null }>`
          select c.id, c.customer_no, c.erased_at from customer c
          where c.workspace_id = ${WORKSPACE} and (
            c.id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify([...new Set(ids)])}::jsonb))
            or c.id in (select o.customer_id from customer_order o
                        join jsonb_to_recordset(${JSON.stringify(orderKeys)}::jsonb) as k(platform text, external_id text) on o.platform = k.platform and o.external_id = k.external_id
                        where o.workspace_id = ${WORKSPACE}))
          order by c.id for no key update of c`
      : [];
    return new Map(rowsRead.map((c) => [c.id, { customerNo: c.customer_no, erasedAt: c.erased_at ? new Date(c.erased_at) : undefined }]));
  };
  const byId = valid.filter((v) => v.row.customerId);
  const existing = byExternal.filter((v) => v.customerId && !createdIds.has(v.customerId));
  let locked = await lockAndRead(
    [...byId.map((v) => tryFromGlobalId(v.row.customerId!, 'Customer')).filter((id): id is string => !!id), ...existing.map((v) => v.customerId!)],
    valid.map((v) => ({ platform: v.row.platform, external_id: v.row.externalId })),
  );

  // A customer found by external id that vanished before we locked it was merged away: its ids moved to the kept
  // customer, which a fresh look-up (a new statement sees the merge) finds; that one is locked in turn.
  const moved = existing.filter((v) => !locked.has(v.customerId!));
  if (moved.length) {
    await lookUp(moved);
    const again = await lockAndRead(moved.map((v) => v.customerId).filter((id): id is string => !!id), []);
    locked = new Map([...locked, ...again]);
  }

  // Customers named by id must exist in this workspace, and no order may go to an erased customer.
  for (const v of byId) {
    const id = tryFromGlobalId(v.row.customerId!, 'Customer');
    const customer = id ? locked.get(id) : undefined;
    const erased = customer && erasedCustomerError(customer, [...pathOf(v.index), 'customerId']);
    if (!customer) refuse(v.index, 'customerId', 'No such customer', UserErrorCode.NOT_FOUND);
    else if (erased) errors.push(importError(v.index, erased));
    else v.customerId = id;
  }
  for (const v of existing) {
    const customer = v.customerId ? locked.get(v.customerId) : undefined;
    const erased = customer && erasedCustomerError(customer, [...pathOf(v.index), 'customerExternalId']);
    if (!customer) refuse(v.index, 'customerExternalId', 'The customer with this id was merged or removed meanwhile; send the row again', UserErrorCode.CONFLICT);
    else if (erased) errors.push(importError(v.index, erased));
    if (!customer || erased) v.customerId = undefined;
  }

  const ready = valid.filter((v) => v.customerId);
  const results: OrdersWritten['results'] = rows.map(() => undefined);
  const byRow = (a: ImportUserError, b: ImportUserError) => a.index! - b.index!;
  if (!ready.length) return { results, createdCustomers, errors: errors.sort(byRow) };

  const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
  const orderRows = ready.map((v) => ({
    id: randomUUID(), customer_id: v.customerId, order_no: v.row.orderNo?.trim() || v.row.externalId, platform: v.row.platform,
    external_id: v.row.externalId, status: v.row.status, total_amount: fromCents(toCents(v.row.totalAmount)), currency: v.row.currency,
    placed_at: iso(v.row.placedAt), paid_at: iso(v.row.paidAt), shipped_at: iso(v.row.shippedAt), delivered_at: iso(v.row.deliveredAt),
  }));
  // The CTE reads the rows as they were before this statement, so it names the customers an update moves orders away from.
  const writtenKeys = JSON.stringify(orderRows.map((o) => ({ platform: o.platform, external_id: o.external_id })));
  const written = await sql<{ id: string; platform: string; external_id: string; inserted: boolean; previous_customer_id: string | null }>`
    with previous as (
       select o.platform, o.external_id, o.customer_id from customer_order o
       join jsonb_to_recordset(${writtenKeys}::jsonb) as k(platform text, external_id text) on o.platform = k.platform and o.external_id = k.external_id
       where o.workspace_id = ${WORKSPACE}
     ), upserted as (
       insert into customer_order (id, created_at, updated_at, workspace_id, customer_id, order_no, platform, external_id, status,
                                   total_amount, currency, placed_at, paid_at, shipped_at, delivered_at)
       select r.id, ${stamp}::timestamptz, ${stamp}::timestamptz, ${WORKSPACE}, r.customer_id, r.order_no, r.platform, r.external_id, r.status::order_status,
              r.total_amount, r.currency, r.placed_at, r.paid_at, r.shipped_at, r.delivered_at
       from jsonb_to_recordset(${JSON.stringify(orderRows)}::jsonb) as r(id uuid, customer_id uuid, order_no text, platform text, external_id text, status text,
            total_amount numeric, currency text, placed_at timestamptz, paid_at timestamptz, shipped_at timestamptz, delivered_at timestamptz)
       on conflict (workspace_id, platform, external_id) do update set
         customer_id = excluded.customer_id, order_no = excluded.order_no, status = excluded.status, total_amount = excluded.total_amount,
         currency = excluded.currency, placed_at = excluded.placed_at, paid_at = excluded.paid_at, shipped_at = excluded.shipped_at,
         delivered_at = excluded.delivered_at, updated_at = excluded.updated_at
       returning id, platform, external_id, (xmax = 0) as inserted
     )
     select u.*, p.customer_id as previous_customer_id from upserted u left join previous p using (platform, external_id)`;
  const writtenByKey = new Map(written.map((w) => [`${w.platform}\u0000${w.external_id}`, w]));

  // An upsert replaces the order's lines.
  const updatedIds = written.filter((w) => !w.inserted).map((w) => w.id);
  if (updatedIds.length) {
    await sql`delete from order_item where workspace_id = ${WORKSPACE} and order_id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(updatedIds)}::jsonb))`;
  }
  const items = ready.flatMap((v) => {
    const orderId = writtenByKey.get(`${v.row.platform}\u0000${v.row.externalId}`)!.id;
    return v.row.items.map((item) => ({
      order_id: orderId, sku: item.sku.trim(), title: item.title.trim(), category: item.category?.trim() || null, brand: item.brand?.trim() || null,
      quantity: item.quantity, unit_price: fromCents(toCents(item.unitPrice)),
    }));
  });
  if (items.length) {
    await sql`
      insert into order_item (id, created_at, updated_at, workspace_id, order_id, sku, title, category, brand, quantity, unit_price)
      select gen_random_uuid(), ${stamp}::timestamptz, ${stamp}::timestamptz, ${WORKSPACE}, r.order_id, r.sku, r.title, r.category, r.brand, r.quantity, r.unit_price
      from jsonb_to_recordset(${JSON.stringify(items)}::jsonb) as r(order_id uuid, sku text, title text, category text, brand text, quantity int, unit_price numeric)`;
  }

  const affected = new Set<string>();
  for (const v of ready) {
    const w = writtenByKey.get(`${v.row.platform}\u0000${v.row.externalId}`)!;
    results[v.index] = { orderId: w.id, customerId: v.customerId!, created: w.inserted };
    affected.add(v.customerId!);
    if (w.previous_customer_id) affected.add(w.previous_customer_id);
  }
  await refreshLastOrderAt(tx, affected);
  return { results, createdCustomers, errors: errors.sort(byRow) };
}

/** Creates or updates one order, idempotent by (platform, externalId). */
export async function upsertOrder(ctx: RequestContext, input: OrderInput): Promise<{ order: Order; created: boolean }> {
  return ctx.transaction(async (tx) => {
    const { results, errors } = await writeOrders(tx, [input], () => ['input']);
    if (errors.length) throw new UserInputFailure(errors.map((e) => UserError.of(e.field, e.message, e.code)));
    const { orderId, customerId, created } = results[0]!;
    // refresh: the order was written in raw SQL, and an earlier mutation of the document may have loaded it.
    const order = await tx.em.findOneOrFail(Order, orderId, { refresh: true });
    tx.audit({
      action: 'customers.order.upsert', subjectType: 'Order', subjectId: order.id,
      changes: { platform: order.platform, externalId: order.externalId, status: order.status, totalAmount: order.totalAmount, currency: order.currency, created },
    });
    tx.emit(CUSTOMER_EVENTS.orderUpserted, order.id, { customerId });
    return { order, created };
  });
}

/**
 * Imports up to 1,000 orders: the valid rows commit, each refused row is reported with its index. Only a problem
 * with the call as a whole (too many rows, a write race) refuses everything.
 */
export async function importOrders(ctx: RequestContext, input: OrdersImportInput): Promise<OrdersImportPayload> {
  const payload = new OrdersImportPayload();
  try {
    await validateInput(input);
    return await ctx.transaction(async (tx) => {
      const { results, createdCustomers, errors } = await writeOrders(tx, input.orders, (i) => ['input', 'orders', String(i)]);
      payload.importedCount = results.filter(Boolean).length;
      payload.createdCustomers = createdCustomers;
      payload.userErrors = errors;
      const entry = tx.audit({
        action: 'customers.order.import', subjectType: 'Workspace', subjectId: ctx.workspaceId,
        changes: { importedCount: payload.importedCount, createdCustomers, refusedRows: new Set(errors.map((e) => e.index)).size },
      });
      tx.emit(CUSTOMER_EVENTS.ordersImported, entry.id, { count: String(payload.importedCount) });
      return payload;
    });
  } catch (error) {
    const userErrors = userErrorsFrom(error);
    if (!userErrors) throw error;
    return Object.assign(new OrdersImportPayload(), { userErrors: userErrors.map((e) => importError(null, e)) });
  }
}
