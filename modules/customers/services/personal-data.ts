import type { RequestContext, WriteTransaction } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { Customer, ConsentRecord, CustomerExternalId } from '../entities/customer';
import { FollowUp } from '../entities/follow-up';
import { Order, OrderItem } from '../entities/order';
import { CustomerTag } from '../entities/tag';
import { PERSONAL_FIELDS, MERCHANT_FIELDS, searchTextOf } from './profile';

/** Name of the extension point through which every module handles a customer's personal data. */
export const PERSONAL_DATA = 'customers.personalData';

/**
 * What a module that keeps data about customers contributes to `customers.personalData` (manifest `contributes`).
 * customerDataExport, customerErase and customerMerge call every contribution, so the privacy rights of handbook
 * 4.3 cover modules written later (conversations, after-sales) without this module knowing them.
 */
export interface PersonalDataHandler {
  /** Everything the module holds about the customer, as JSON, under keys (sections) unique to the module. */
  export(ctx: RequestContext, customerId: string): Promise<Record<string, unknown>>;
  /** Replaces the customer's personal data with placeholders, irreversibly; anonymous facts may stay. */
  erase(tx: WriteTransaction, customerId: string): Promise<void>;
  /** Moves what belongs to `mergeId` onto `keepId`; runs before the merged customer is deleted. */
  merge(tx: WriteTransaction, keepId: string, mergeId: string): Promise<void>;
}

export const ERASED_NAME = '已删除客户';
export const ERASED_TEXT = '[已删除]';

const iso = (value: Date | undefined | null) => value?.toISOString() ?? null;

/** This module's own contribution: profile, external ids, consents, tags, orders and follow-ups. */
export const customersPersonalData: PersonalDataHandler = {
  async export(ctx, customerId) {
    const em = ctx.em;
    const customer = await em.findOneOrFail(Customer, customerId);
    const [externalIds, consents, taggings, orders, followUps] = await Promise.all([
      em.find(CustomerExternalId, { customer: customerId }, { orderBy: { platform: 'asc' } }),
      em.find(ConsentRecord, { customer: customerId }, { orderBy: { consentedAt: 'asc' } }),
      em.find(CustomerTag, { customer: customerId }, { populate: ['tag'] }),
      em.find(Order, { customer: customerId }, { orderBy: { placedAt: 'asc' } }),
      em.find(FollowUp, { customer: customerId }, { orderBy: { happenedAt: 'asc' } }),
    ]);
    const items = orders.length ? await em.find(OrderItem, { order: { $in: orders.map((o) => o.id) } }) : [];
    const profile: Record<string, unknown> = {
      customerNo: customer.customerNo, kind: customer.kind, name: customer.name,
      createdAt: iso(customer.createdAt), updatedAt: iso(customer.updatedAt), erasedAt: iso(customer.erasedAt),
    };
    for (const key of PERSONAL_FIELDS) if (key !== 'birthdayMonthDay') profile[key] = customer[key] ?? null;
    return {
      customer: profile,
      externalIds: externalIds.map((e) => ({ platform: e.platform, value: e.externalId })),
      consents: consents.map((c) => ({ policyVersion: c.policyVersion, marketingConsent: c.marketingConsent, consentedAt: iso(c.consentedAt), channel: c.channel })),
      tags: taggings.map((t) => ({ name: t.tag.name, group: t.tag.group })),
      orders: orders.map((o) => ({
        orderNo: o.orderNo, platform: o.platform, externalId: o.externalId, status: o.status, totalAmount: o.totalAmount,
        currency: o.currency, placedAt: iso(o.placedAt), paidAt: iso(o.paidAt), shippedAt: iso(o.shippedAt), deliveredAt: iso(o.deliveredAt),
        items: items.filter((i) => i.order.id === o.id).map((i) => ({
          sku: i.sku, title: i.title, category: i.category ?? null, brand: i.brand ?? null, quantity: i.quantity, unitPrice: i.unitPrice,
        })),
      })),
      followUps: followUps.map((f) => ({
        method: f.method, content: f.content, outcome: f.outcome ?? null, happenedAt: iso(f.happenedAt), nextFollowUpOn: f.nextFollowUpOn ?? null,
      })),
    };
  },

  async erase(tx, customerId) {
    const em = tx.em;
    const customer = await em.findOneOrFail(Customer, customerId);
    // The portrait (tags) and ids on other platforms identify the person; order amounts stay, now anonymous.
    await em.nativeDelete(CustomerExternalId, { customer: customerId });
    await em.nativeDelete(CustomerTag, { customer: customerId });
    await em.nativeUpdate(FollowUp, { customer: customerId }, { content: ERASED_TEXT, outcome: null, pending: false } as any);
    const placeholders: Record<string, unknown> = { name: ERASED_NAME, erasedAt: new Date() };
    for (const key of PERSONAL_FIELDS) placeholders[key] = null;
    placeholders.searchText = searchTextOf({ name: ERASED_NAME, customerNo: customer.customerNo }, []);
    em.assign(customer, placeholders);
  },

  async merge(tx, keepId, mergeId) {
    const em = tx.em;
    const [keep, merged] = await Promise.all([em.findOneOrFail(Customer, keepId), em.findOneOrFail(Customer, mergeId)]);
    for (const entity of [Order, FollowUp, ConsentRecord, CustomerExternalId] as const) {
      await em.nativeUpdate(entity as typeof Order, { customer: mergeId }, { customer: keepId } as any);
    }
    const sql = workspaceSql(tx);
    // Raw SQL: copy the tags the kept customer lacks in one statement; the merged customer's rows go with it.
    // Timestamps from the application (milliseconds, like the ORM's), not now(): see services/orders.ts.
    const stamp = new Date().toISOString();
    await sql`
      insert into customer_tag (id, created_at, updated_at, workspace_id, customer_id, tag_id)
      select gen_random_uuid(), ${stamp}::timestamptz, ${stamp}::timestamptz, workspace_id, ${keepId}, tag_id
      from customer_tag where workspace_id = ${WORKSPACE} and customer_id = ${mergeId}
      on conflict (customer_id, tag_id) do nothing`;
    // Only the latest follow-up of the merged history may still be waiting for its next contact.
    await sql`
      update follow_up set pending = false where workspace_id = ${WORKSPACE} and customer_id = ${keepId} and pending
      and id <> (select id from follow_up where workspace_id = ${WORKSPACE} and customer_id = ${keepId} order by happened_at desc, id desc limit 1)`;
    const gaps: Record<string, unknown> = {};
    for (const key of PERSONAL_FIELDS) if (keep[key] == null && merged[key] != null) gaps[key] = merged[key];
    if (keep.kind !== merged.kind) for (const key of MERCHANT_FIELDS) delete gaps[key];
    // Free the unique phone and email before the kept customer takes them.
    await em.nativeUpdate(Customer, { id: mergeId }, { phone: null, email: null } as any);
    const externalIds = await em.find(CustomerExternalId, { customer: keepId });
    em.assign(keep, {
      ...gaps,
      searchText: searchTextOf({ ...keep, nickname: (gaps.nickname as string) ?? keep.nickname }, externalIds.map((e) => e.externalId)),
    });
  },
};
