import { ArrayMaxSize, IsEmail, IsInt, IsOptional, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { DEFAULT_CURRENCY } from '../../../src/graphql/money';
import { DateTimeScalar, DecimalScalar, IsMoney, LocalDateScalar } from '../../../src/graphql/scalars';
import { IsColor, IsCurrencyCode, IsNotBlank } from '../../../src/graphql/validation';
import {
  AssetsBand, BehaviorType, BusinessStatus, CustomerKind, FollowUpMethod, Gender, MembershipLevel, OrderStatus,
  PersonalityType, TagGroup, TagKind,
} from '../entities/enums';
import { IsCode } from '../services/codes';
import { IsPhone } from '../services/contact';

export const MAX_IMPORT_ROWS = 1000;
export const MAX_BULK_CUSTOMERS = 1000;

@InputType({ description: "A customer's id on a platform or channel" })
export class ExternalIdInput {
  @Field({ description: 'Platform or channel, e.g. taobao, wechat, order-system (stored lower-case)' })
  @IsCode('taobao')
  platform!: string;

  @Field({ description: 'The id there: a buyer nick, an openid, an order-system id' })
  @IsNotBlank()
  @MaxLength(128)
  value!: string;
}

@InputType({ description: 'Merchant details; only for customers of kind MERCHANT' })
export class MerchantInput {
  @Field(() => String, { nullable: true, description: 'Shop name 店铺名称' })
  @IsOptional()
  @MaxLength(100)
  shopName?: string | null;

  @Field(() => String, { nullable: true, description: 'Location or address' })
  @IsOptional()
  @MaxLength(200)
  location?: string | null;

  @Field(() => String, { nullable: true, description: 'Contact phone of the business, in the forms `phone` accepts' })
  @IsOptional()
  @IsPhone()
  contactPhone?: string | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Founding date' })
  @IsOptional()
  foundedOn?: string | null;

  @Field(() => AssetsBand, { nullable: true, description: 'Assets band' })
  @IsOptional()
  assetsBand?: AssetsBand | null;

  @Field(() => BusinessStatus, { nullable: true, description: 'Business status' })
  @IsOptional()
  businessStatus?: BusinessStatus | null;

  @Field(() => MembershipLevel, { nullable: true, description: 'Membership level' })
  @IsOptional()
  membershipLevel?: MembershipLevel | null;
}

/** The profile fields every customer mutation may set; null clears a field, an absent field is left alone. */
@InputType({ description: 'Profile fields shared by the customer inputs' })
export class CustomerProfileInput {
  @Field(() => String, { nullable: true, description: 'Nickname or platform display name' })
  @IsOptional()
  @MaxLength(100)
  nickname?: string | null;

  @Field(() => String, { nullable: true, description: 'Mainland mobile (13812345678), mainland landline with area code (021-12345678), or any other number with its country code (+852 9123 4567), stored as E.164; unique in the workspace; PHONE_INVALID otherwise' })
  @IsOptional()
  @IsPhone()
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Email; unique in the workspace' })
  @IsOptional()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'Province 省' })
  @IsOptional()
  @MaxLength(50)
  province?: string | null;

  @Field(() => String, { nullable: true, description: 'City 市' })
  @IsOptional()
  @MaxLength(50)
  city?: string | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Birthday, not in the future' })
  @IsOptional()
  birthday?: string | null;

  @Field(() => Gender, { nullable: true, description: 'Gender' })
  @IsOptional()
  gender?: Gender | null;

  @Field(() => String, { nullable: true, description: 'Free notes' })
  @IsOptional()
  @MaxLength(5000)
  notes?: string | null;

  @Field(() => PersonalityType, { nullable: true, description: 'Personality classification' })
  @IsOptional()
  personalityType?: PersonalityType | null;

  @Field(() => BehaviorType, { nullable: true, description: 'Behavior classification' })
  @IsOptional()
  behaviorType?: BehaviorType | null;

  @Field(() => MerchantInput, { nullable: true, description: 'Merchant details (kind MERCHANT only)' })
  @IsOptional()
  @ValidateNested()
  merchant?: MerchantInput | null;
}

@InputType({ description: 'A new customer' })
export class CustomerCreateInput extends CustomerProfileInput {
  @Field(() => CustomerKind, { defaultValue: CustomerKind.INDIVIDUAL, description: 'Individual or merchant' })
  kind: CustomerKind = CustomerKind.INDIVIDUAL;

  @Field({ description: 'Full name' })
  @IsNotBlank()
  @MaxLength(100)
  name!: string;

  @Field(() => [ExternalIdInput], { defaultValue: [], description: 'Ids on platforms; each must be new to the workspace' })
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  externalIds!: ExternalIdInput[];
}

@InputType({ description: 'Corrections to a customer; send the version you read' })
export class CustomerUpdateInput extends CustomerProfileInput {
  @Field(() => ID, { description: 'The customer' })
  id!: string;

  @Field(() => Int, { description: 'The version you read; a newer one on the server means someone else changed it' })
  version!: number;

  @Field(() => CustomerKind, { nullable: true, description: 'Individual or merchant' })
  @IsOptional()
  kind?: CustomerKind | null;

  @Field(() => String, { nullable: true, description: 'Full name' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(100)
  name?: string | null;
}

@InputType({ description: "A partner's customer, found by its external id: updated if known, created if not" })
export class CustomerUpsertInput extends CustomerProfileInput {
  @Field(() => ExternalIdInput, { description: 'The key: the customer\'s id on the partner\'s platform' })
  @ValidateNested()
  externalId!: ExternalIdInput;

  /** No default on purpose: a default would be "sent" on every update and turn merchants into individuals. */
  @Field(() => CustomerKind, {
    nullable: true,
    description: 'Kind. On creation: this kind, INDIVIDUAL when absent or null. On update: applied only when sent '
      + '(switching to INDIVIDUAL clears the merchant details); absent or null keeps the kind and the merchant details',
  })
  @IsOptional()
  kind?: CustomerKind | null;

  @Field({ description: 'Full name' })
  @IsNotBlank()
  @MaxLength(100)
  name!: string;
}

@InputType({ description: 'Two records of the same person: mergeId is folded into keepId and disappears' })
export class CustomerMergeInput {
  @Field(() => ID, { description: 'The customer that stays' })
  keepId!: string;

  @Field(() => ID, { description: 'The customer whose orders, tags, follow-ups and ids move to keepId; it is then deleted' })
  mergeId!: string;
}

@InputType({ description: 'The customer whose personal data is erased' })
export class CustomerEraseInput {
  @Field(() => ID, { description: 'The customer' })
  id!: string;
}

@InputType({ description: 'A consent given by the customer' })
export class ConsentRecordInput {
  @Field(() => ID, { description: 'The customer' })
  customerId!: string;

  @Field({ description: 'Privacy policy version accepted, e.g. 2024-06' })
  @IsNotBlank()
  @MaxLength(40)
  policyVersion!: string;

  @Field({ description: 'Agreed to marketing messages' })
  marketingConsent!: boolean;

  @Field({ description: 'Where it was given, e.g. app, wechat, web, store (stored lower-case)' })
  @IsCode('app')
  channel!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was given; defaults to now' })
  @IsOptional()
  consentedAt?: Date | null;
}

@InputType({ description: 'A new tag definition' })
export class TagCreateInput {
  @Field({ description: 'Name, unique in the workspace' })
  @IsNotBlank()
  @MaxLength(50)
  name!: string;

  @Field({ defaultValue: '#1677FF', description: 'Color #RRGGBB' })
  @IsColor()
  color: string = '#1677FF';

  @Field(() => TagGroup, { description: 'Portrait attribute group' })
  group!: TagGroup;

  @Field(() => TagKind, { defaultValue: TagKind.MANUAL, description: 'Fact, model or manual' })
  kind: TagKind = TagKind.MANUAL;

  @Field(() => String, { nullable: true, description: 'What the tag means' })
  @IsOptional()
  @MaxLength(500)
  description?: string | null;
}

@InputType({ description: 'Changes to a tag definition; send the version you read' })
export class TagUpdateInput {
  @Field(() => ID, { description: 'The tag' })
  id!: string;

  @Field(() => Int, { description: 'The version you read; a newer one on the server means someone else changed it' })
  version!: number;

  @Field(() => String, { nullable: true, description: 'New name' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(50)
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New color #RRGGBB' })
  @IsOptional()
  @IsColor()
  color?: string | null;

  @Field(() => TagGroup, { nullable: true, description: 'New group' })
  @IsOptional()
  group?: TagGroup | null;

  @Field(() => String, { nullable: true, description: 'New description' })
  @IsOptional()
  @MaxLength(500)
  description?: string | null;
}

@InputType({ description: 'The tag to delete; it is taken off every customer' })
export class TagDeleteInput {
  @Field(() => ID, { description: 'The tag' })
  id!: string;
}

@InputType({ description: 'Tags to put on (or take off) customers, in bulk' })
export class CustomerTagsInput {
  @Field(() => [ID], { description: `Customers, at most ${MAX_BULK_CUSTOMERS}` })
  @ArrayMaxSize(MAX_BULK_CUSTOMERS)
  customerIds!: string[];

  @Field(() => [ID], { description: 'Tags, at most 50' })
  @ArrayMaxSize(50)
  tagIds!: string[];
}

@InputType({ description: 'A follow-up made with a customer' })
export class FollowUpCreateInput {
  @Field(() => ID, { description: 'The customer' })
  customerId!: string;

  @Field(() => FollowUpMethod, { description: 'How' })
  method!: FollowUpMethod;

  @Field({ description: 'What was discussed or done' })
  @IsNotBlank()
  @MaxLength(5000)
  content!: string;

  @Field(() => String, { nullable: true, description: 'What came of it' })
  @IsOptional()
  @MaxLength(2000)
  outcome?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it happened; defaults to now' })
  @IsOptional()
  happenedAt?: Date | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'When to follow up next' })
  @IsOptional()
  nextFollowUpOn?: string | null;
}

@InputType({ description: 'One line of an order' })
export class OrderItemInput {
  @Field({ description: 'Stock-keeping unit' })
  @IsNotBlank()
  @MaxLength(64)
  sku!: string;

  @Field({ description: 'Product title' })
  @IsNotBlank()
  @MaxLength(200)
  title!: string;

  @Field(() => String, { nullable: true, description: 'Category' })
  @IsOptional()
  @MaxLength(100)
  category?: string | null;

  @Field(() => String, { nullable: true, description: 'Brand' })
  @IsOptional()
  @MaxLength(100)
  brand?: string | null;

  @Field(() => Int, { description: 'Quantity, 1 to 100000' })
  @IsInt()
  @Min(1)
  @Max(100_000)
  quantity!: number;

  @Field(() => DecimalScalar, { description: 'Price of one unit in the order\'s currency, e.g. "99.50"' })
  @IsMoney()
  unitPrice!: string;
}

/**
 * An order as a partner sends it. The customer is named by `customerId`, or by `customerExternalId` on the order's
 * platform (an unknown one creates a minimal INDIVIDUAL customer).
 */
@InputType({ description: 'An order to create or update, keyed by (platform, externalId)' })
export class OrderInput {
  @Field(() => ID, { nullable: true, description: 'The customer, by id; or use customerExternalId' })
  @IsOptional()
  customerId?: string | null;

  @Field(() => String, { nullable: true, description: "The customer's id on the order's platform; unknown ids create a customer" })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(128)
  customerExternalId?: string | null;

  @Field(() => String, { nullable: true, description: 'Name for a customer created from customerExternalId (defaults to that id)' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(100)
  customerName?: string | null;

  @Field({ description: 'Platform, e.g. taobao (stored lower-case)' })
  @IsCode('taobao')
  platform!: string;

  @Field({ description: "The order's id on the platform: the idempotency key" })
  @IsNotBlank()
  @MaxLength(128)
  externalId!: string;

  @Field(() => String, { nullable: true, description: 'Order number shown to the customer; defaults to externalId' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(64)
  orderNo?: string | null;

  @Field(() => OrderStatus, { defaultValue: OrderStatus.PLACED, description: 'State of the order' })
  status: OrderStatus = OrderStatus.PLACED;

  @Field(() => DecimalScalar, { description: 'Total amount, e.g. "199.00"; must equal the items when items are given' })
  @IsMoney()
  totalAmount!: string;

  @Field({ defaultValue: DEFAULT_CURRENCY, description: "ISO 4217 currency code of the order's amounts (total and items)" })
  @IsCurrencyCode()
  currency: string = DEFAULT_CURRENCY;

  @Field(() => DateTimeScalar, { description: 'When the order was placed' })
  placedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was paid' })
  @IsOptional()
  paidAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was shipped' })
  @IsOptional()
  shippedAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was delivered' })
  @IsOptional()
  deliveredAt?: Date | null;

  @Field(() => [OrderItemInput], { defaultValue: [], description: 'Lines; an upsert replaces the previous lines' })
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  items!: OrderItemInput[];
}

@InputType({ description: `Up to ${MAX_IMPORT_ROWS} orders in one call` })
export class OrdersImportInput {
  @Field(() => [OrderInput], { description: `The orders, at most ${MAX_IMPORT_ROWS}` })
  @ArrayMaxSize(MAX_IMPORT_ROWS, { message: `orders may hold at most ${MAX_IMPORT_ROWS} rows; split the import` })
  orders!: OrderInput[];
}
