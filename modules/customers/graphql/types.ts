import { Field, ID, Int, ObjectType } from 'type-graphql';
import { MutationPayload, UserError } from '../../../src/graphql/user-errors';
import { COST } from '../../../src/graphql/cost';
import { Money } from '../../../src/graphql/money';
import { DateTimeScalar, LocalDateScalar } from '../../../src/graphql/scalars';
import { ConsentRecord, Customer } from '../entities/customer';
import {
  AssetsBand, BusinessStatus, MembershipLevel, TagGroup,
} from '../entities/enums';
import { FollowUp } from '../entities/follow-up';
import { Order } from '../entities/order';
import { Tag } from '../entities/tag';

/** The merchant columns of a MERCHANT customer, grouped; `contactPhone` is masked by its field resolver. */
@ObjectType({ description: "A merchant customer's business details" })
export class MerchantProfile {
  /** The customer, for the masked contactPhone. */
  customer!: Customer;

  @Field(() => String, { nullable: true, description: 'Shop name 店铺名称' })
  shopName?: string;

  @Field(() => String, { nullable: true, description: 'Location or address' })
  location?: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Founding date' })
  foundedOn?: string;

  @Field(() => AssetsBand, { nullable: true, description: 'Assets band' })
  assetsBand?: AssetsBand;

  @Field(() => BusinessStatus, { nullable: true, description: 'Business status' })
  businessStatus?: BusinessStatus;

  @Field(() => MembershipLevel, { nullable: true, description: 'Membership level' })
  membershipLevel?: MembershipLevel;
}

/** Purchase statistics of one customer; canceled and refunded orders are left out. */
@ObjectType({ description: 'Purchase statistics of a customer (canceled and refunded orders left out)' })
export class OrderStats {
  customerId!: string;

  @Field(() => Int, { description: 'Number of purchases' })
  orderCount!: number;

  @Field(() => Money, {
    description: 'Sum of the purchases in the main currency (the one most of them were in; CNY for a customer who never bought). '
      + 'Purchases in other currencies are counted in orderCount only: amounts of different currencies are not added',
    complexity: COST.VALUE,
  })
  totalSpent!: Money;

  @Field(() => Money, { nullable: true, description: 'Average purchase in the currency of totalSpent, rounded to the cent', complexity: COST.VALUE })
  averageOrderValue!: Money | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'First purchase' })
  firstPurchaseAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Latest purchase' })
  lastPurchaseAt!: Date | null;
}

@ObjectType({ description: 'The tags of one portrait group' })
export class TagGroupTags {
  @Field(() => TagGroup, { description: 'The group' })
  group!: TagGroup;

  @Field(() => [Tag], { description: 'Tags of the customer in this group' })
  tags!: Tag[];
}

/** A customer portrait 客户画像; its fields are resolved by CustomerPortraitResolver from loaders. */
@ObjectType({ description: 'The customer portrait 客户画像: tags by group, purchase statistics and kind-specific facts' })
export class CustomerPortrait {
  customer!: Customer;
}

@ObjectType({ description: 'Result of customerCreate, customerUpdate, customerMerge and customerErase' })
export class CustomerPayload extends MutationPayload {
  @Field(() => Customer, { nullable: true, description: 'The customer as it now is' })
  customer?: Customer | null;
}

@ObjectType({ description: 'Result of customerUpsert' })
export class CustomerUpsertPayload extends MutationPayload {
  @Field(() => Customer, { nullable: true, description: 'The customer as it now is' })
  customer?: Customer | null;

  @Field({ description: 'True when the customer was new' })
  created: boolean = false;
}

@ObjectType({ description: 'Result of customerConsentRecord' })
export class ConsentRecordPayload extends MutationPayload {
  @Field(() => ConsentRecord, { nullable: true, description: 'The recorded consent' })
  consent?: ConsentRecord | null;
}

@ObjectType({ description: 'Result of tagCreate and tagUpdate' })
export class TagPayload extends MutationPayload {
  @Field(() => Tag, { nullable: true, description: 'The tag' })
  tag?: Tag | null;
}

@ObjectType({ description: 'Result of tagDelete' })
export class TagDeletePayload extends MutationPayload {
  @Field(() => ID, { nullable: true, description: 'Global id of the deleted tag' })
  deletedTagId?: string | null;
}

@ObjectType({ description: 'Result of customerTagsAdd and customerTagsRemove' })
export class CustomerTagsPayload extends MutationPayload {
  @Field(() => [Customer], { description: 'The customers, with their tags as they now are' })
  customers: Customer[] = [];
}

@ObjectType({ description: 'Result of followUpCreate' })
export class FollowUpPayload extends MutationPayload {
  @Field(() => FollowUp, { nullable: true, description: 'The follow-up record' })
  followUp?: FollowUp | null;
}

@ObjectType({ description: 'Result of orderUpsert' })
export class OrderUpsertPayload extends MutationPayload {
  @Field(() => Order, { nullable: true, description: 'The order as it now is' })
  order?: Order | null;

  @Field({ description: 'True when the order was new, false when an existing one was updated' })
  created: boolean = false;
}

@ObjectType({ description: 'A problem with one row of an import (or, without index, with the whole call)' })
export class ImportUserError extends UserError {
  @Field(() => Int, { nullable: true, description: 'Position of the row in input.orders, from 0; null for the whole call' })
  index!: number | null;
}

/** Not a MutationPayload: an import commits its valid rows and reports the others. */
@ObjectType({ description: 'Result of ordersImport: the valid rows are committed, the others listed in userErrors' })
export class OrdersImportPayload {
  @Field(() => Int, { description: 'Orders created or updated' })
  importedCount: number = 0;

  @Field(() => Int, { description: 'Customers created for unknown customerExternalIds' })
  createdCustomers: number = 0;

  @Field(() => [ImportUserError], { description: 'Rows refused, each with its index; empty when every row was imported' })
  userErrors: ImportUserError[] = [];
}
