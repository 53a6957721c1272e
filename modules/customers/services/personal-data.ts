import type { RequestContext, WriteTransaction } from '../../../src/context';
import { defineExtensionPoint } from '../../../src/kernel/extension-points';
import { Customer, ConsentRecord, CustomerExternalId } from '../entities/customer';
import { FollowUp } from '../entities/follow-up';
import { Order, OrderItem } from '../entities/order';
import { CustomerTag } from '../entities/tag';
import { PERSONAL_FIELDS, searchTextOf } from './profile';

/**
 * What a module that keeps data about customers contributes to `PERSONAL_DATA` (manifest `contributes`).
 * customerDataExport, customerErase and customerMerge call every contribution after handling this module's own
 * records, so the privacy rights of handbook 4.3 cover modules written later (conversations, after-sales) without
 * this module knowing them. This module does not contribute to its own point: see its README.
 */
export interface PersonalDataHandler {
  /** Everything the module holds about the customer, as JSON, under keys (sections) unique to the module. */
  export(ctx: RequestContext, customerId: string): Promise<Record<string, unknown>>;
  /** Replaces the customer's personal data with placeholders, irreversibly; anonymous facts may stay. */
  erase(tx: WriteTransaction, customerId: string): Promise<void>;
  /**
   * Moves what belongs to `mergeId` onto `keepId`. Runs after this module merged its own records (the kept
   * customer already has the merged one's orders and fills its gaps from its profile) and before the merged
   * customer is deleted.
   */
  merge(tx: WriteTransaction, keepId: string, mergeId: string): Promise<void>;
}

/** The extension point through which every module handles a customer's personal data; takes many handlers. */
export const PERSONAL_DATA = defineExtensionPoint<PersonalDataHandler>('customers.personalData', { many: true });

export const ERASED_NAME = '已删除客户';
export const ERASED_TEXT = '[已删除]';

const iso = (value: Date | undefined | null) => value?.toISOString() ?? null;

/** This module's own part of customerDataExport: profile, external ids, consents, tags, orders and follow-ups. */
export async function exportCustomerRecords(ctx: RequestContext, customerId: string): Promise<Record<string, unknown>> {
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
}

/** This module's own part of customerErase: the profile becomes placeholders; ids, tags and notes go. */
export async function eraseCustomerRecords(tx: WriteTransaction, customerId: string): Promise<void> {
  const em = tx.em;
  const customer = await em.findOneOrFail(Customer, customerId);
  // The portrait (tags) and ids on other platforms identify the person; order amounts stay, now anonymous.
  await em.nativeDelete(CustomerExternalId, { customer: customerId });
  await em.nativeDelete(CustomerTag, { customer: customerId });
  await em.nativeUpdate(FollowUp, { customer: customerId }, { content: ERASED_TEXT, outcome: null, pending: false });
  const placeholders: Record<string, unknown> = { name: ERASED_NAME, erasedAt: new Date() };
  for (const key of PERSONAL_FIELDS) placeholders[key] = null;
  placeholders.searchText = searchTextOf({ name: ERASED_NAME, customerNo: customer.customerNo }, []);
  em.assign(customer, placeholders);
}
