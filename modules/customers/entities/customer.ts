import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';
import type { Workspace } from '../../../src/auth';
import {
  AssetsBand, BehaviorType, BusinessStatus, CustomerKind, Gender, MembershipLevel, PersonalityType,
} from './enums';
import { DateTimeScalar, LocalDateScalar } from '../../../src/graphql/scalars';

/**
 * A customer of the shop, individual or merchant. Phone, email and the merchant's contact phone carry no @Field
 * here on purpose: they are exposed by field resolvers that mask them for callers without `customers:pii`.
 */
@ObjectType({ implements: Node, description: 'A customer of the shop: a person (INDIVIDUAL) or a business (MERCHANT)' })
@Entity()
@Unique({ properties: ['workspace', 'customerNo'] })
// NULLs are distinct in a unique index, so these only bind customers that have the value: dedup backed by the database.
@Unique({ properties: ['workspace', 'phone'] })
@Unique({ properties: ['workspace', 'email'] })
@Index({ properties: ['workspace', 'createdAt', 'id'] })
@Index({ properties: ['workspace', 'lastOrderAt', 'id'] })
@Index({ properties: ['workspace', 'name', 'id'] })
@Index({ properties: ['workspace', 'birthdayMonthDay'] })
// Substring search (ILIKE '%张%'): trigram GIN indexes serve patterns of three characters or more; shorter ones
// (a single 张) scan the workspace's rows, which is still correct. The migration creates the pg_trgm extension.
@Index({ name: 'customer_search_text_trgm_index', expression: 'create index "customer_search_text_trgm_index" on "customer" using gin ("search_text" gin_trgm_ops)' })
@Index({ name: 'customer_phone_trgm_index', expression: 'create index "customer_phone_trgm_index" on "customer" using gin ("phone" gin_trgm_ops)' })
@Index({ name: 'customer_email_trgm_index', expression: 'create index "customer_email_trgm_index" on "customer" using gin ("email" gin_trgm_ops)' })
export class Customer extends WorkspaceScopedEntity<'version'> {
  @Field({ description: 'Customer number 客户编号, unique in the workspace and never reused, e.g. C000123' })
  @Property({ length: 20 })
  customerNo!: string;

  @Field(() => CustomerKind, { description: 'Individual or merchant' })
  @Enum({ items: () => CustomerKind, nativeEnumName: 'customer_kind' })
  kind!: CustomerKind;

  @Field({ description: 'Full name (for a merchant: the contact person or company name)' })
  @Property({ length: 100 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Nickname or platform display name' })
  @Property({ length: 100, nullable: true })
  nickname?: string;

  /** Normalised: 11 digits for a mainland mobile, `0AA-NNNNNNNN` for a landline. */
  @Property({ length: 20, nullable: true })
  phone?: string;

  /** Lower-case. */
  @Property({ length: 254, nullable: true })
  email?: string;

  @Field(() => String, { nullable: true, description: 'Province 省, e.g. 浙江' })
  @Property({ length: 50, nullable: true })
  province?: string;

  @Field(() => String, { nullable: true, description: 'City 市, e.g. 杭州' })
  @Property({ length: 50, nullable: true })
  city?: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Birthday, for care greetings' })
  @Property({ type: 'date', nullable: true })
  birthday?: string;

  /** `MM-DD` of the birthday: upcoming birthdays are an index lookup on it. */
  @Property({ length: 5, nullable: true, hidden: true })
  birthdayMonthDay?: string;

  @Field(() => Gender, { nullable: true, description: 'Gender as the customer gave it' })
  @Enum({ items: () => Gender, nativeEnumName: 'gender', nullable: true })
  gender?: Gender;

  @Field(() => String, { nullable: true, description: 'Free notes by the team' })
  @Property({ type: 'text', nullable: true })
  notes?: string;

  @Field(() => PersonalityType, { nullable: true, description: 'Personality classification, see portrait.handlingStrategy' })
  @Enum({ items: () => PersonalityType, nativeEnumName: 'personality_type', nullable: true })
  personalityType?: PersonalityType;

  @Field(() => BehaviorType, { nullable: true, description: 'Behavior classification, see portrait.handlingStrategy' })
  @Enum({ items: () => BehaviorType, nativeEnumName: 'behavior_type', nullable: true })
  behaviorType?: BehaviorType;

  // Merchant fields, null for individuals; exposed as `merchant`.
  @Property({ length: 100, nullable: true })
  shopName?: string;

  @Property({ length: 200, nullable: true })
  location?: string;

  @Property({ length: 20, nullable: true })
  contactPhone?: string;

  @Property({ type: 'date', nullable: true })
  foundedOn?: string;

  @Enum({ items: () => AssetsBand, nativeEnumName: 'assets_band', nullable: true })
  assetsBand?: AssetsBand;

  @Enum({ items: () => BusinessStatus, nativeEnumName: 'business_status', nullable: true })
  businessStatus?: BusinessStatus;

  @Enum({ items: () => MembershipLevel, nativeEnumName: 'membership_level', nullable: true })
  membershipLevel?: MembershipLevel;

  /** When the latest purchase was placed (canceled and refunded orders excluded); kept by services/stats.ts. */
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the latest purchase was placed; null if the customer never bought' })
  @Property({ type: 'timestamptz', nullable: true })
  lastOrderAt?: Date;

  /**
   * Lower-case name, nickname, customer number and external ids: what a search without `customers:pii` may match.
   * Phone and email are searched in their own columns, and only by callers who may see them.
   */
  @Property({ type: 'text', hidden: true })
  searchText!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When personal data was erased (customerErase); null otherwise' })
  @Property({ type: 'timestamptz', nullable: true })
  erasedAt?: Date;

  @Field(() => Int, { description: 'Optimistic-lock version: send it back with customerUpdate' })
  @Property({ version: true })
  version!: number;
}

/** An id of the customer in another system: a Taobao buyer nick, a WeChat openid, an order-system id. */
@ObjectType({ description: "The customer's id on a platform or channel" })
@Entity()
@Unique({ properties: ['workspace', 'platform', 'externalId'] })
export class CustomerExternalId extends WorkspaceScopedEntity {
  @ManyToOne(() => Customer, { deleteRule: 'no action', index: true })
  customer!: Customer;

  @Field({ description: 'Platform or channel, lower-case, e.g. taobao, wechat, order-system' })
  @Property({ length: 40 })
  platform!: string;

  @Field({ name: 'value', description: 'The id on that platform, e.g. a buyer nick or an openid' })
  @Property({ length: 128 })
  externalId!: string;
}

/** Consent given by the customer (handbook 4.3): which policy, marketing yes or no, when, through which channel. */
@ObjectType({ implements: Node, description: 'A consent the customer gave: privacy policy version and marketing consent' })
@Entity()
@Index({ properties: ['customer', 'consentedAt'] })
export class ConsentRecord extends WorkspaceScopedEntity {
  @ManyToOne(() => Customer, { deleteRule: 'no action' })
  customer!: Customer;

  @Field({ description: 'Version of the privacy policy accepted, e.g. 2024-06' })
  @Property({ length: 40 })
  policyVersion!: string;

  @Field({ description: 'Whether the customer agreed to marketing messages' })
  @Property()
  marketingConsent!: boolean;

  @Field(() => DateTimeScalar, { description: 'When the consent was given' })
  @Property({ type: 'timestamptz' })
  consentedAt!: Date;

  @Field({ description: 'Where it was given, lower-case, e.g. app, wechat, web, store' })
  @Property({ length: 40 })
  channel!: string;
}

/**
 * The last customer number issued per workspace. Incremented with one upsert inside the creating transaction, so
 * concurrent creates queue on the row and no number is ever issued twice. Only touched by raw SQL (numbers.ts).
 */
@Entity({ tableName: 'customer_number_counter' })
export class CustomerNumberCounter {
  @ManyToOne({ entity: 'Workspace', primary: true, deleteRule: 'cascade' })
  workspace!: Workspace;

  @Property({ type: 'bigint' })
  value!: string;
}
