import { LockMode } from '@mikro-orm/core';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { entityOfRow, viewOfRow } from '../../../src/db/entity-views';
import { entityColumns, WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput, assertVersion } from '../../../src/graphql/user-errors';
import { ConsentRecord, Customer, CustomerExternalId } from '../entities/customer';
import { CustomerKind } from '../entities/enums';
import { FollowUp } from '../entities/follow-up';
import { Order } from '../entities/order';
import { Tag } from '../entities/tag';
import type {
  ConsentRecordInput, CustomerCreateInput, CustomerMergeInput, CustomerUpdateInput, CustomerUpsertInput, ExternalIdInput,
} from '../graphql/inputs';
import { CUSTOMER_EVENTS } from '../events';
import { tagsOfCustomer } from '../loaders';
import { CUSTOMER_PERMISSIONS } from '../permissions';
import { normalizeCode } from './codes';
import { issueCustomerNumbers } from './numbers';
import { eraseCustomerRecords, exportCustomerRecords, PERSONAL_DATA, type PersonalDataHandler } from './personal-data';
import { MERCHANT_FIELDS, PERSONAL_FIELDS, profileChanges, profileProblems, searchTextOf, type ProfileData } from './profile';
import { refreshLastOrderAt } from './stats';

/**
 * The customer of a query argument, or null: unknown, wrong-type and other-workspace ids all look the same. Single
 * lookups answer null without an error (as GitHub's and Shopify's do), so one stale id does not fail a workbench's
 * whole response.
 */
export async function findCustomer(ctx: RequestContext, globalId: string): Promise<Customer | null> {
  const id = tryFromGlobalId(globalId, 'Customer');
  if (!id) return null;
  // The customer and the tags it carries in one statement (the workbench's customer screen shows both; a statement
  // costs a round trip and its share of PostgreSQL's work): the tags go to `tagsOfCustomer`, which then runs none.
  const [row] = await workspaceSql(ctx)<Record<string, unknown> & { carried_tags: Record<string, unknown>[] }>`
    select ${entityColumns(ctx.em, Customer, 'c')}, coalesce((
      select jsonb_agg(to_jsonb(t) order by t.name) from customer_tag ct join tag t on t.workspace_id = ${WORKSPACE} and t.id = ct.tag_id
      where ct.workspace_id = ${WORKSPACE} and ct.customer_id = c.id
    ), '[]') as carried_tags
    from customer c where c.workspace_id = ${WORKSPACE} and c.id = ${id}`;
  if (!row) return null;
  const { carried_tags: tags, ...columns } = row;
  const customer = entityOfRow(ctx.em, Customer, columns);
  tagsOfCustomer(ctx).prime(customer.id, tags.map((tag) => viewOfRow(ctx.em, Tag, tag)));
  return customer;
}

/**
 * Row locks on customers, taken first thing in a transaction and held until it ends (see "Concurrent writes" in
 * the README). `share` (FOR SHARE) is for writes that attach rows to a customer (follow-ups, tags, consents, and
 * any other module's rows naming a customer: this is the module's public lock, exported from its index.ts): they
 * may run side by side. `update` (FOR UPDATE) is for customerMerge and customerErase, which must see every
 * such write either committed before them or not yet started. Orders take FOR NO KEY UPDATE in their raw SQL
 * (services/orders.ts), since they also update the customer row. The customers are locked in id order, so two
 * transactions locking several never wait on each other in a cycle; they are read again under the lock
 * (`refresh`), so a customer erased or merged away meanwhile is seen as it now is, or not found.
 */
export async function lockCustomers(tx: WriteTransaction, ids: string[], mode: 'share' | 'update'): Promise<Customer[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  return tx.em.find(Customer, { id: { $in: unique } }, {
    lockMode: mode === 'share' ? LockMode.PESSIMISTIC_READ : LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' }, refresh: true,
  });
}

/**
 * The customer named in a mutation input, or a NOT_FOUND userError on `field`. With `lock`, the customer's row is
 * locked (lockCustomers) and read under the lock.
 */
export async function customerForInput(tx: WriteTransaction, globalId: string, field: string[], lock?: 'share' | 'update'): Promise<Customer> {
  const id = tryFromGlobalId(globalId, 'Customer');
  const customer = !id ? null : lock ? (await lockCustomers(tx, [id], lock))[0] : await tx.em.findOne(Customer, id);
  if (!customer) throw UserInputFailure.of(field, 'No such customer', UserErrorCode.NOT_FOUND);
  return customer;
}

/**
 * The one rule for erased customers (customerErase): their record can no longer change, be tagged, followed up or
 * get orders. The userError on `field`, or undefined when the customer is not erased. Used by every service.
 */
export function erasedCustomerError(customer: Pick<Customer, 'customerNo' | 'erasedAt'>, field: string[]): UserError | undefined {
  if (!customer.erasedAt) return undefined;
  return UserError.of(field, `Customer ${customer.customerNo} was erased; its record can no longer change`, UserErrorCode.CUSTOMER_ERASED);
}

/** erasedCustomerError as a failure, for mutations about one customer. */
export function assertNotErased(customer: Pick<Customer, 'customerNo' | 'erasedAt'>, field: string[]): void {
  const error = erasedCustomerError(customer, field);
  if (error) throw new UserInputFailure([error]);
}

const describe = (c: Customer) => `customer ${c.customerNo} (id ${c.globalId})`;

const externalKey = (e: ExternalIdInput) => ({ platform: normalizeCode(e.platform), externalId: e.value.trim() });

/**
 * The "no customer numbered twice" rule: a phone, email or external id that another customer already has is a
 * DUPLICATE naming that customer. Unique indexes back this up for concurrent writers.
 *
 * Callers without `customers:pii` may not learn whose a phone or email is (they see both masked and cannot search
 * by them), so for them a phone or email DUPLICATE names no customer. That the value is taken still shows: refusing
 * it is the rule itself. External ids are not masked and such callers find customers by them, so those name it.
 */
async function assertNoDuplicates(tx: WriteTransaction, data: ProfileData, externalIds: ExternalIdInput[], selfId?: string) {
  const em = tx.em;
  const mayIdentify = tx.ctx.can(CUSTOMER_PERMISSIONS.pii);
  const owner = (c: Customer) => (mayIdentify ? describe(c) : 'another customer of this workspace');
  const problems: UserError[] = [];
  const contact = [
    data.phone ? { phone: data.phone as string } : undefined,
    data.email ? { email: data.email as string } : undefined,
  ].filter((c) => c !== undefined);
  const others = contact.length ? await em.find(Customer, { $or: contact, ...(selfId ? { id: { $ne: selfId } } : {}) }) : [];
  for (const field of ['phone', 'email'] as const) {
    const other = data[field] ? others.find((c) => c[field] === data[field]) : undefined;
    if (other) problems.push(UserError.of(['input', field], `This ${field} already belongs to ${owner(other)}`, UserErrorCode.DUPLICATE));
  }
  if (externalIds.length) {
    const links = await em.find(CustomerExternalId, { $or: externalIds.map(externalKey) }, { populate: ['customer'] });
    externalIds.forEach((input, index) => {
      const key = externalKey(input);
      const link = links.find((l) => l.platform === key.platform && l.externalId === key.externalId && l.customer.id !== selfId);
      if (link) {
        problems.push(UserError.of(['input', 'externalIds', String(index)], `${key.platform} id ${key.externalId} already belongs to ${describe(link.customer)}`, UserErrorCode.DUPLICATE));
      }
    });
  }
  if (problems.length) throw new UserInputFailure(problems);
}

export async function createInTransaction(tx: WriteTransaction, input: CustomerCreateInput): Promise<Customer> {
  const draft = new Customer();
  const data = profileChanges(draft, input);
  const problems = profileProblems(draft, input, data, (await tx.context().clock()).today());
  const keys = input.externalIds.map(externalKey);
  keys.forEach((key, i) => {
    if (keys.findIndex((k) => k.platform === key.platform && k.externalId === key.externalId) < i) {
      problems.push(UserError.of(['input', 'externalIds', String(i)], 'This external id is listed twice', UserErrorCode.DUPLICATE));
    }
  });
  if (problems.length) throw new UserInputFailure(problems);
  await assertNoDuplicates(tx, data, input.externalIds);
  const [customerNo] = await issueCustomerNumbers(tx, 1);
  const customer = tx.em.assign(draft, { ...data, customerNo } as any);
  customer.searchText = searchTextOf(customer, keys.map((k) => k.externalId));
  tx.em.persist(customer);
  for (const key of keys) tx.em.persist(tx.em.create(CustomerExternalId, { customer, ...key }));
  tx.audit({ action: 'customers.customer.create', subjectType: 'Customer', subjectId: customer.id, changes: { customerNo, kind: customer.kind } });
  tx.emit(CUSTOMER_EVENTS.created, customer.id);
  return customer;
}

/** Applies corrections; audited with the names of the changed fields only, so the log holds no personal data. */
async function updateInTransaction(tx: WriteTransaction, customer: Customer, input: CustomerUpdateInput | CustomerUpsertInput): Promise<Customer> {
  const data = profileChanges(customer, input);
  const problems = profileProblems(customer, input, data, (await tx.context().clock()).today());
  if (problems.length) throw new UserInputFailure(problems);
  await assertNoDuplicates(tx, data, [], customer.id);
  const externalIds = await tx.em.find(CustomerExternalId, { customer: customer.id });
  tx.em.assign(customer, data as any);
  customer.searchText = searchTextOf(customer, externalIds.map((e) => e.externalId));
  const fields = Object.keys(data).filter((key) => key !== 'birthdayMonthDay');
  if (fields.length) {
    tx.audit({ action: 'customers.customer.update', subjectType: 'Customer', subjectId: customer.id, changes: { fields } });
    tx.emit(CUSTOMER_EVENTS.updated, customer.id);
  }
  return customer;
}

/** Creates a customer with the next customer number, refusing duplicates. */
export async function createCustomer(ctx: RequestContext, input: CustomerCreateInput): Promise<Customer> {
  await validateInput(input);
  return ctx.transaction((tx) => createInTransaction(tx, input));
}

/** Corrects a customer, refusing a stale version with VERSION_CONFLICT. */
export async function updateCustomer(ctx: RequestContext, input: CustomerUpdateInput): Promise<Customer> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const customer = await customerForInput(tx, input.id, ['input', 'id']);
    assertNotErased(customer, ['input', 'id']);
    assertVersion(customer, input.version, 'customer');
    return updateInTransaction(tx, customer, input);
  });
}

/**
 * For partners: the customer with this external id is updated (last writer wins: partners sync their own master
 * data and carry no version), or created when the id is new. Like every field of the input, `kind` is applied to
 * an existing customer only when sent: a partner that does not know about merchants must not turn one into an
 * individual (which would clear its merchant details).
 */
export async function upsertCustomer(ctx: RequestContext, input: CustomerUpsertInput): Promise<{ customer: Customer; created: boolean }> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const link = await tx.em.findOne(CustomerExternalId, externalKey(input.externalId), { populate: ['customer'] });
    if (link) return { customer: await updateInTransaction(tx, link.customer, input), created: false };
    // kind only at creation (INDIVIDUAL when not sent); updateInTransaction above applies it only when sent.
    const customer = await createInTransaction(
      tx, Object.assign(input, { externalIds: [input.externalId], kind: input.kind ?? CustomerKind.INDIVIDUAL }) as CustomerCreateInput,
    );
    return { customer, created: true };
  });
}

/** The other modules' handlers of customers' personal data (this module handles its own records itself). */
function personalDataHandlers(ctx: RequestContext): PersonalDataHandler[] {
  return ctx.app.registry.contributionsTo(PERSONAL_DATA);
}

/**
 * This module's own part of a merge: the merged customer's orders, follow-ups, consents, external ids and tags
 * move to the kept one, whose empty profile fields are filled from the merged one's. Run before the other
 * modules' handlers, whatever the registry order, so that they see the kept customer as the merge leaves it.
 */
async function mergeCustomerRecords(tx: WriteTransaction, keep: Customer, merged: Customer): Promise<void> {
  const em = tx.em;
  const [keepId, mergeId] = [keep.id, merged.id];
  for (const entity of [Order, FollowUp, ConsentRecord, CustomerExternalId] as const) {
    await em.nativeUpdate(entity as typeof Order, { customer: mergeId }, { customer: keepId });
  }
  const sql = workspaceSql(tx);
  // Raw SQL: copy the tags the kept customer lacks in one statement; the merged customer's rows go with it.
  // Timestamps from the application (milliseconds, like the ORM's), not now(): see services/orders.ts.
  const stamp = new Date().toISOString();
  await sql`
    insert into customer_tag (id, created_at, updated_at, workspace_id, customer_id, tag_id)
    select gen_random_uuid(), ${stamp}::timestamptz, ${stamp}::timestamptz, workspace_id, ${keepId}, tag_id
    from customer_tag where workspace_id = ${WORKSPACE} and customer_id = ${mergeId}
    on conflict (workspace_id, customer_id, tag_id) do nothing`;
  // Only the latest follow-up of the merged history may still be waiting for its next contact.
  await sql`
    update follow_up set pending = false where workspace_id = ${WORKSPACE} and customer_id = ${keepId} and pending
    and id <> (select id from follow_up where workspace_id = ${WORKSPACE} and customer_id = ${keepId} order by happened_at desc, id desc limit 1)`;
  const gaps: Record<string, unknown> = {};
  for (const key of PERSONAL_FIELDS) if (keep[key] == null && merged[key] != null) gaps[key] = merged[key];
  if (keep.kind !== merged.kind) for (const key of MERCHANT_FIELDS) delete gaps[key];
  // Free the unique phone and email before the kept customer takes them.
  await em.nativeUpdate(Customer, { id: mergeId }, { phone: null, email: null });
  const externalIds = await em.find(CustomerExternalId, { customer: keepId });
  em.assign(keep, {
    ...gaps,
    searchText: searchTextOf({ ...keep, nickname: (gaps.nickname as string) ?? keep.nickname }, externalIds.map((e) => e.externalId)),
  });
  // Written now, so that the other modules' handlers read the kept customer as merged, by the ORM or by SQL.
  await em.flush();
}

/** Folds mergeId into keepId (this module's records, then every other module's merge handler), then deletes mergeId. */
export async function mergeCustomers(ctx: RequestContext, input: CustomerMergeInput): Promise<Customer> {
  return ctx.transaction(async (tx) => {
    // Both rows locked FOR UPDATE before anything moves: a write attaching rows to either customer (they lock it
    // too) has committed before this point, so its rows move with the rest, or waits and finds mergeId gone.
    const [keepId, mergeId] = [tryFromGlobalId(input.keepId, 'Customer'), tryFromGlobalId(input.mergeId, 'Customer')];
    const locked = await lockCustomers(tx, [keepId, mergeId].filter((id): id is string => !!id), 'update');
    const keep = locked.find((c) => c.id === keepId);
    const merged = locked.find((c) => c.id === mergeId);
    if (!keep) throw UserInputFailure.of(['input', 'keepId'], 'No such customer', UserErrorCode.NOT_FOUND);
    if (!merged) throw UserInputFailure.of(['input', 'mergeId'], 'No such customer', UserErrorCode.NOT_FOUND);
    if (keep.id === merged.id) throw UserInputFailure.of(['input', 'mergeId'], 'A customer cannot be merged into itself', UserErrorCode.MERGE_SAME_CUSTOMER);
    assertNotErased(keep, ['input', 'keepId']);
    assertNotErased(merged, ['input', 'mergeId']);
    await mergeCustomerRecords(tx, keep, merged);
    for (const handler of personalDataHandlers(ctx)) await handler.merge(tx, keep.id, merged.id);
    await tx.em.nativeDelete(Customer, { id: merged.id });
    tx.em.getUnitOfWork().unsetIdentity(merged);
    await refreshLastOrderAt(tx, [keep.id]);
    tx.audit({
      action: 'customers.customer.merge', subjectType: 'Customer', subjectId: keep.id,
      changes: { mergedId: merged.id, mergedCustomerNo: merged.customerNo },
    });
    tx.emit(CUSTOMER_EVENTS.merged, keep.id, { mergedId: merged.id });
    return keep;
  });
}

/** Irreversibly replaces the customer's personal data in every module; audited. Erasing twice is ALREADY_DONE. */
export async function eraseCustomer(ctx: RequestContext, globalId: string): Promise<Customer> {
  return ctx.transaction(async (tx) => {
    // FOR UPDATE: writes attaching rows to the customer lock it too (FOR SHARE), so each has committed before
    // this point (and is erased below) or waits and then sees erasedAt.
    const customer = await customerForInput(tx, globalId, ['input', 'id'], 'update');
    if (customer.erasedAt) throw UserInputFailure.of(['input', 'id'], `Customer ${customer.customerNo} was already erased`, UserErrorCode.ALREADY_DONE);
    await eraseCustomerRecords(tx, customer.id);
    for (const handler of personalDataHandlers(ctx)) await handler.erase(tx, customer.id);
    tx.audit({ action: 'customers.customer.erase', subjectType: 'Customer', subjectId: customer.id, changes: { customerNo: customer.customerNo } });
    tx.emit(CUSTOMER_EVENTS.erased, customer.id);
    return customer;
  });
}

/** Every personal datum held about the customer, from every module; the export itself is audited. */
export async function exportCustomerData(ctx: RequestContext, globalId: string): Promise<Record<string, unknown> | null> {
  const customer = await findCustomer(ctx, globalId);
  if (!customer) return null;
  const sections = await exportCustomerRecords(ctx, customer.id);
  for (const handler of personalDataHandlers(ctx)) Object.assign(sections, await handler.export(ctx, customer.id));
  await ctx.transaction(async (tx) => {
    tx.audit({ action: 'customers.customer.export', subjectType: 'Customer', subjectId: customer.id, changes: { customerNo: customer.customerNo } });
  });
  return { exportedAt: new Date().toISOString(), ...sections };
}

/** Records a consent the customer gave (policy version, marketing yes or no, channel). */
export async function recordConsent(ctx: RequestContext, input: ConsentRecordInput): Promise<ConsentRecord> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const customer = await customerForInput(tx, input.customerId, ['input', 'customerId'], 'share');
    assertNotErased(customer, ['input', 'customerId']);
    const consentedAt = input.consentedAt ?? new Date();
    if (consentedAt.getTime() > Date.now() + 60_000) throw UserInputFailure.of(['input', 'consentedAt'], 'consentedAt cannot be in the future', UserErrorCode.DATE_IN_FUTURE);
    const consent = tx.em.create(ConsentRecord, {
      customer, policyVersion: input.policyVersion.trim(), marketingConsent: input.marketingConsent, channel: normalizeCode(input.channel), consentedAt,
    });
    tx.audit({
      action: 'customers.consent.record', subjectType: 'Customer', subjectId: customer.id,
      changes: { policyVersion: consent.policyVersion, marketingConsent: consent.marketingConsent, channel: consent.channel },
    });
    return consent;
  });
}
