import { defineEvent } from '../../src/kernel/events';

/**
 * The domain events this module emits, each in the transaction of its change (subject: the customer unless said
 * otherwise). Other modules react to them (`onEvent`), partners receive them by webhook, and clients follow them.
 */
export const CUSTOMER_EVENTS = {
  created: defineEvent('customers.customerCreated', { subjectType: 'Customer' }),
  updated: defineEvent('customers.customerUpdated', { subjectType: 'Customer' }),
  /** subject: the kept customer; refs.mergedId: the customer that was folded in and deleted. */
  merged: defineEvent<{ mergedId: string }>('customers.customerMerged', { subjectType: 'Customer' }),
  erased: defineEvent('customers.customerErased', { subjectType: 'Customer' }),
  /** subject: the order. */
  orderUpserted: defineEvent<{ customerId: string }>('customers.orderUpserted', { subjectType: 'Order' }),
  /** subject: the audit entry of the import call; refs.count: how many orders were imported. */
  ordersImported: defineEvent<{ count: string }>('customers.ordersImported', { subjectType: 'AuditEntry' }),
  /** subject: the follow-up. */
  followUpCreated: defineEvent<{ customerId: string }>('customers.followUpCreated', { subjectType: 'FollowUp' }),
};
