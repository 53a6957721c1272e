import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';
import { COST } from '../../../src/graphql/cost';
import { Money } from '../../../src/graphql/money';
import { DateTimeScalar } from '../../../src/graphql/scalars';
import { Customer } from './customer';
import { OrderStatus } from './enums';

/** A purchase, imported from a shop platform; idempotent by (platform, externalId). */
@ObjectType({ implements: Node, description: "One of the customer's orders (purchase history)" })
@Entity({ tableName: 'customer_order' })
@Unique({ properties: ['workspace', 'platform', 'externalId'] })
@Index({ properties: ['customer', 'placedAt'] })
// The workbench's lookups (orders(filter)): by order number, by external id without the platform, and the whole
// workspace's orders by time placed (keyset on placedAt, id).
@Index({ properties: ['workspace', 'orderNo'] })
@Index({ properties: ['workspace', 'externalId'] })
@Index({ properties: ['workspace', 'placedAt', 'id'] })
export class Order extends WorkspaceScopedEntity<'total'> {
  @ManyToOne(() => Customer, { deleteRule: 'no action' })
  customer!: Customer;

  @Field({ description: 'Order number shown to the customer' })
  @Property({ length: 64 })
  orderNo!: string;

  @Field({ description: 'Platform the order was placed on, lower-case, e.g. taobao, jd, tmall' })
  @Property({ length: 40 })
  platform!: string;

  @Field({ description: "The order's id on its platform; orderUpsert and ordersImport are idempotent by it" })
  @Property({ length: 128 })
  externalId!: string;

  @Field(() => OrderStatus, { description: 'State of the order' })
  @Enum({ items: () => OrderStatus, nativeEnumName: 'order_status' })
  status!: OrderStatus;

  @Property({ type: 'decimal', precision: 14, scale: 2 })
  totalAmount!: string;

  /** ISO 4217, per order: one shop may sell in CNY on Tmall and in HKD on its Hong Kong store. Items share it. */
  @Property({ length: 3 })
  currency!: string;

  @Field(() => Money, { name: 'totalAmount', description: 'Total amount with its currency, exact, e.g. 199.00 CNY', complexity: COST.VALUE })
  get total(): Money {
    return Money.of(this.totalAmount, this.currency);
  }

  @Field(() => DateTimeScalar, { description: 'When the order was placed' })
  @Property({ type: 'timestamptz' })
  placedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was paid' })
  @Property({ type: 'timestamptz', nullable: true })
  paidAt?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was shipped' })
  @Property({ type: 'timestamptz', nullable: true })
  shippedAt?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was delivered' })
  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date;
}

/** One line of an order. Replaced as a whole when the order is upserted again. */
@ObjectType({ description: 'One line of an order' })
@Entity()
export class OrderItem extends WorkspaceScopedEntity {
  @ManyToOne(() => Order, { deleteRule: 'cascade', index: true })
  order!: Order;

  @Field({ description: 'Stock-keeping unit' })
  @Property({ length: 64 })
  sku!: string;

  @Field({ description: 'Product title' })
  @Property({ length: 200 })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Product category, e.g. 母婴' })
  @Property({ length: 100, nullable: true })
  category?: string;

  @Field(() => String, { nullable: true, description: 'Brand' })
  @Property({ length: 100, nullable: true })
  brand?: string;

  @Field(() => Int, { description: 'Quantity, at least 1' })
  @Property()
  quantity!: number;

  /** In the order's currency; exposed with it as `unitPrice: Money` (resolvers/order.ts). */
  @Property({ type: 'decimal', precision: 14, scale: 2 })
  unitPrice!: string;
}
