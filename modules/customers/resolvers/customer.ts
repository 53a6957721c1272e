import { JSONObjectResolver } from 'graphql-scalars';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { Connection } from '../../../src/graphql/connection';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { ConsentRecord, Customer, CustomerExternalId } from '../entities/customer';
import { CustomerKind, TagGroup } from '../entities/enums';
import { FollowUp } from '../entities/follow-up';
import { Order } from '../entities/order';
import { Tag } from '../entities/tag';
import { BirthdayArgs, CustomersArgs, FOLLOW_UP_SORT, ORDER_SORT } from '../graphql/args';
import {
  ConsentRecordInput, CustomerCreateInput, CustomerEraseInput, CustomerMergeInput, CustomerUpdateInput, CustomerUpsertInput,
} from '../graphql/inputs';
import {
  ConsentRecordPayload, CustomerPayload, CustomerPortrait, CustomerUpsertPayload, MerchantProfile, OrderStats, TagGroupTags,
} from '../graphql/types';
import {
  consentsOfCustomer, externalIdsOfCustomer, favoritesOfCustomer, orderStatsOfCustomer, tagsOfCustomer,
} from '../loaders';
import { CUSTOMER_PERMISSIONS } from '../permissions';
import { maskEmail, maskPhone } from '../services/contact';
import * as customers from '../services/customers';
import { followUpsOfCustomer, ordersOfCustomer } from '../services/nested-lists';
import { listCustomers, upcomingBirthdays } from '../services/search';
import { handlingStrategy } from '../services/strategies';

const CustomerConnection = Connection(Customer);
const OrderConnection = Connection(Order);
const FollowUpConnection = Connection(FollowUp);

/** Contact details as the caller may see them: in full with `customers:pii`, masked otherwise. */
function visible(ctx: RequestContext, value: string | undefined, mask: (value: string) => string): string | null {
  if (value == null) return null;
  return ctx.can(CUSTOMER_PERMISSIONS.pii) ? value : mask(value);
}

function merchantProfileOf(customer: Customer): MerchantProfile | null {
  if (customer.kind !== CustomerKind.MERCHANT) return null;
  const { shopName, location, foundedOn, assetsBand, businessStatus, membershipLevel } = customer;
  return Object.assign(new MerchantProfile(), { customer, shopName, location, foundedOn, assetsBand, businessStatus, membershipLevel });
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Authorized(CUSTOMER_PERMISSIONS.read)
  @Query(() => Customer, {
    nullable: true,
    description: 'A customer by id; null (without an error) when no such customer is in your workspace, or the id is not a Customer id',
  })
  customer(@Arg('id', () => ID, { description: 'Global id of the customer' }) id: string, @Ctx() ctx: RequestContext): Promise<Customer | null> {
    return customers.findCustomer(ctx, id);
  }

  @Authorized(CUSTOMER_PERMISSIONS.read)
  @Query(() => CustomerConnection, { description: 'Customers, searched and filtered; newest first unless sorted otherwise' })
  customers(@Args() args: CustomersArgs, @Ctx() ctx: RequestContext) {
    return listCustomers(ctx, args);
  }

  @Authorized(CUSTOMER_PERMISSIONS.read)
  @Query(() => CustomerConnection, { description: "Customers whose birthday (month and day) falls in the next `days` days, from today in the workspace's time zone, for care greetings" })
  upcomingBirthdays(@Args() args: BirthdayArgs, @Ctx() ctx: RequestContext) {
    return upcomingBirthdays(ctx, args);
  }

  @Authorized(CUSTOMER_PERMISSIONS.read, CUSTOMER_PERMISSIONS.pii)
  @Query(() => JSONObjectResolver, {
    nullable: true,
    description: 'Every personal datum held about the customer, from every module, as JSON (right of access, handbook 4.3); audited. '
      + 'Null when no such customer is in your workspace',
  })
  customerDataExport(@Arg('id', () => ID, { description: 'Global id of the customer' }) id: string, @Ctx() ctx: RequestContext) {
    return customers.exportCustomerData(ctx, id);
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => CustomerPayload, { description: 'Create a customer with the next customer number; a phone, email or external id already known is DUPLICATE' })
  customerCreate(@Arg('input', { description: 'The fields of the input type' }) input: CustomerCreateInput, @Ctx() ctx: RequestContext): Promise<CustomerPayload> {
    return mutationPayload(CustomerPayload, async () => ({ customer: await customers.createCustomer(ctx, input) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => CustomerPayload, { description: 'Correct a customer (audited); a stale version is VERSION_CONFLICT' })
  customerUpdate(@Arg('input', { description: 'The fields of the input type' }) input: CustomerUpdateInput, @Ctx() ctx: RequestContext): Promise<CustomerPayload> {
    return mutationPayload(CustomerPayload, async () => ({ customer: await customers.updateCustomer(ctx, input) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => CustomerUpsertPayload, { description: "For partners: create or update the customer with this external id" })
  customerUpsert(@Arg('input', { description: 'The fields of the input type' }) input: CustomerUpsertInput, @Ctx() ctx: RequestContext): Promise<CustomerUpsertPayload> {
    return mutationPayload(CustomerUpsertPayload, () => customers.upsertCustomer(ctx, input));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => CustomerPayload, { description: 'Fold a duplicate record into another: its orders, tags, follow-ups and ids move, then it is deleted' })
  customerMerge(@Arg('input', { description: 'The fields of the input type' }) input: CustomerMergeInput, @Ctx() ctx: RequestContext): Promise<CustomerPayload> {
    return mutationPayload(CustomerPayload, async () => ({ customer: await customers.mergeCustomers(ctx, input) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => CustomerPayload, {
    description: 'Erase the personal data of a customer in every module, irreversibly (right to deletion); order amounts stay, anonymous',
  })
  customerErase(@Arg('input', { description: 'The fields of the input type' }) input: CustomerEraseInput, @Ctx() ctx: RequestContext): Promise<CustomerPayload> {
    return mutationPayload(CustomerPayload, async () => ({ customer: await customers.eraseCustomer(ctx, input.id) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => ConsentRecordPayload, { description: 'Record a consent the customer gave (privacy policy version, marketing)' })
  customerConsentRecord(@Arg('input', { description: 'The fields of the input type' }) input: ConsentRecordInput, @Ctx() ctx: RequestContext): Promise<ConsentRecordPayload> {
    return mutationPayload(ConsentRecordPayload, async () => ({ consent: await customers.recordConsent(ctx, input) }));
  }

  @FieldResolver(() => String, { nullable: true, description: 'Phone; masked (138****5678) without customers:pii' })
  phone(@Root() customer: Customer, @Ctx() ctx: RequestContext): string | null {
    return visible(ctx, customer.phone, maskPhone);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Email; masked (z***@example.com) without customers:pii' })
  email(@Root() customer: Customer, @Ctx() ctx: RequestContext): string | null {
    return visible(ctx, customer.email, maskEmail);
  }

  @FieldResolver(() => MerchantProfile, { nullable: true, description: 'Business details; null for individuals' })
  merchant(@Root() customer: Customer): MerchantProfile | null {
    return merchantProfileOf(customer);
  }

  @FieldResolver(() => [CustomerExternalId], { description: 'Ids of the customer on platforms and channels' })
  externalIds(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<CustomerExternalId[]> {
    return externalIdsOfCustomer(ctx).load(customer.id);
  }

  @FieldResolver(() => [Tag], { description: 'Tags the customer carries, by name' })
  tags(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<Tag[]> {
    return tagsOfCustomer(ctx).load(customer.id);
  }

  @FieldResolver(() => OrderStats, { description: 'Purchase statistics' })
  orderStats(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<OrderStats> {
    return orderStatsOfCustomer(ctx).load(customer.id);
  }

  @FieldResolver(() => CustomerPortrait, { description: 'The customer portrait 客户画像' })
  portrait(@Root() customer: Customer): CustomerPortrait {
    return Object.assign(new CustomerPortrait(), { customer });
  }

  @FieldResolver(() => OrderConnection, { description: 'Orders, latest first unless sorted otherwise' })
  orders(@Root() customer: Customer, @Args(() => ORDER_SORT.Args) args: InstanceType<typeof ORDER_SORT.Args>, @Ctx() ctx: RequestContext) {
    return ordersOfCustomer(ctx, customer.id, args);
  }

  @FieldResolver(() => FollowUpConnection, { description: 'Follow-up records, latest first unless sorted otherwise' })
  followUps(@Root() customer: Customer, @Args(() => FOLLOW_UP_SORT.Args) args: InstanceType<typeof FOLLOW_UP_SORT.Args>, @Ctx() ctx: RequestContext) {
    return followUpsOfCustomer(ctx, customer.id, args);
  }

  @FieldResolver(() => [ConsentRecord], { description: 'Consents given, latest first' })
  consents(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<ConsentRecord[]> {
    return consentsOfCustomer(ctx).load(customer.id);
  }
}

@Resolver(() => MerchantProfile)
export class MerchantProfileResolver {
  @FieldResolver(() => String, { nullable: true, description: 'Contact phone; masked without customers:pii' })
  contactPhone(@Root() merchant: MerchantProfile, @Ctx() ctx: RequestContext): string | null {
    return visible(ctx, merchant.customer.contactPhone, maskPhone);
  }
}

/** Age in whole years on a date (both `YYYY-MM-DD`): the years between, less one before this year's birthday. */
const ageOn = (birthday: string, today: string) => Number(today.slice(0, 4)) - Number(birthday.slice(0, 4)) - (today.slice(5) < birthday.slice(5) ? 1 : 0);

@Resolver(() => CustomerPortrait)
export class CustomerPortraitResolver {
  @FieldResolver(() => [TagGroupTags], { description: 'Tags by attribute group (groups without tags left out)' })
  async tagGroups(@Root() portrait: CustomerPortrait, @Ctx() ctx: RequestContext): Promise<TagGroupTags[]> {
    const tags = await tagsOfCustomer(ctx).load(portrait.customer.id);
    return Object.values(TagGroup)
      .map((group) => ({ group, tags: tags.filter((t) => t.group === group) }))
      .filter((g) => g.tags.length);
  }

  @FieldResolver(() => OrderStats, { description: 'Purchase statistics' })
  orderStats(@Root() portrait: CustomerPortrait, @Ctx() ctx: RequestContext): Promise<OrderStats> {
    return orderStatsOfCustomer(ctx).load(portrait.customer.id);
  }

  @FieldResolver(() => String, { nullable: true, description: 'How to handle the customer (应对策略), from personality and behavior type' })
  handlingStrategy(@Root() portrait: CustomerPortrait): string | null {
    return handlingStrategy(portrait.customer.personalityType, portrait.customer.behaviorType);
  }

  @FieldResolver(() => Int, { nullable: true, description: "Individuals: age in years, from the birthday, as of today in the workspace's time zone" })
  async age(@Root() portrait: CustomerPortrait, @Ctx() ctx: RequestContext): Promise<number | null> {
    const { kind, birthday } = portrait.customer;
    return kind === CustomerKind.INDIVIDUAL && birthday ? ageOn(birthday, (await ctx.clock()).today()) : null;
  }

  @FieldResolver(() => MerchantProfile, { nullable: true, description: 'Merchants: business details' })
  merchant(@Root() portrait: CustomerPortrait): MerchantProfile | null {
    return merchantProfileOf(portrait.customer);
  }
}

@Resolver(() => OrderStats)
export class OrderStatsResolver {
  @FieldResolver(() => String, { nullable: true, description: 'Category bought most (by units)' })
  async favoriteCategory(@Root() stats: OrderStats, @Ctx() ctx: RequestContext): Promise<string | null> {
    return (await favoritesOfCustomer(ctx).load(stats.customerId)).category;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Brand bought most (by units)' })
  async favoriteBrand(@Root() stats: OrderStats, @Ctx() ctx: RequestContext): Promise<string | null> {
    return (await favoritesOfCustomer(ctx).load(stats.customerId)).brand;
  }
}
