import { defineModule } from '../../src/kernel/module';
import { ConsentRecord, Customer, CustomerExternalId, CustomerNumberCounter } from './entities/customer';
import { FollowUp } from './entities/follow-up';
import { Order, OrderItem } from './entities/order';
import { CustomerTag, Tag } from './entities/tag';
import { CUSTOMER_EVENTS } from './events';
import { CUSTOMER_PERMISSIONS, customerPermissions } from './permissions';
import { CustomerPortraitResolver, CustomerResolver, MerchantProfileResolver, OrderStatsResolver } from './resolvers/customer';
import { FollowUpResolver } from './resolvers/follow-up';
import { OrderItemResolver, OrderResolver } from './resolvers/order';
import { TagResolver } from './resolvers/tag';
import { seedCustomersDemo } from './services/demo';
import { PERSONAL_DATA } from './services/personal-data';

/**
 * Customers, their purchase history, tags and portraits, follow-ups and care, and their privacy rights. Other
 * modules refer to customers by id, read them through `customerById`, and join the privacy rights by contributing
 * a PersonalDataHandler to `customers.personalData`.
 */
export const customersModule = defineModule({
  name: 'customers',
  entities: [Customer, CustomerExternalId, ConsentRecord, CustomerNumberCounter, Tag, CustomerTag, Order, OrderItem, FollowUp],
  resolvers: [CustomerResolver, MerchantProfileResolver, CustomerPortraitResolver, OrderStatsResolver, OrderResolver, OrderItemResolver, TagResolver, FollowUpResolver],
  permissions: customerPermissions,
  nodeTypes: {
    Customer: { entity: Customer, permission: CUSTOMER_PERMISSIONS.read },
    Order: { entity: Order, permission: CUSTOMER_PERMISSIONS.read },
    Tag: { entity: Tag, permission: CUSTOMER_PERMISSIONS.read },
    FollowUp: { entity: FollowUp, permission: CUSTOMER_PERMISSIONS.read },
    ConsentRecord: { entity: ConsentRecord, permission: CUSTOMER_PERMISSIONS.read },
  },
  objectTypes: Object.fromEntries(
    ['CustomerExternalId', 'OrderItem', 'MerchantProfile', 'OrderStats', 'CustomerPortrait', 'TagGroupTags'].map((name) => [name, { permission: CUSTOMER_PERMISSIONS.read }]),
  ),
  openTypes: ['ImportUserError'],
  events: Object.values(CUSTOMER_EVENTS),
  extensionPoints: [PERSONAL_DATA],
  seedDemo: seedCustomersDemo,
});

export { Customer } from './entities/customer';
export { Order } from './entities/order';
export { CUSTOMER_EVENTS } from './events';
export { CUSTOMER_PERMISSIONS } from './permissions';
export { ERASED_TEXT, PERSONAL_DATA, type PersonalDataHandler } from './services/personal-data';
export { customerById } from './loaders';
export { lockCustomers } from './services/customers';
export { identifyCustomer, type CustomerIdentity } from './services/identify';
