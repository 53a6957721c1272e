import { defineNestedConnection } from '../../../src/graphql/nested-connection';
import { FollowUp } from '../entities/follow-up';
import { Order } from '../entities/order';
import { FOLLOW_UP_SORT, ORDER_SORT } from '../graphql/args';

/*
 * `Customer.orders` and `Customer.followUps`: connections inside a customer list, whose first or last pages and
 * counts are read for the whole list at once (src/graphql/nested-connection.ts).
 */

/** A customer's orders, latest first unless sorted otherwise. */
export const ordersOfCustomer = defineNestedConnection({ name: 'customers.ordersOfCustomer', entity: Order, parentKey: 'customer', sort: ORDER_SORT });

/** A customer's follow-ups, latest first unless sorted otherwise. */
export const followUpsOfCustomer = defineNestedConnection({
  name: 'customers.followUpsOfCustomer', entity: FollowUp, parentKey: 'customer', sort: FOLLOW_UP_SORT,
});
