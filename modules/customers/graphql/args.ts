import { IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { defineSort, SortDirection } from '../../../src/graphql/connection';
import { CustomerKind, OrderStatus } from '../entities/enums';
import { DateTimeScalar } from '../../../src/graphql/scalars';

/*
 * The orders each list offers (src/graphql/connection.ts defineSort: `sort: { field, direction }` on every list).
 * A list sorted by a nullable property leaves out the rows without a value: keyset paging needs one to compare.
 */

export const CUSTOMER_SORT = defineSort('Customer', {
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When the customer was created' },
  NAME: { property: 'name', type: 'text', direction: SortDirection.ASC, description: 'Name, in the database collation' },
  LAST_ORDER_AT: {
    property: 'lastOrderAt', type: 'timestamp', direction: SortDirection.DESC, description: 'Latest purchase; customers who never bought are left out',
  },
}, 'CREATED_AT');

export const BIRTHDAY_SORT = defineSort('UpcomingBirthday', {
  MONTH_DAY: { property: 'birthdayMonthDay', type: 'text', direction: SortDirection.ASC, description: 'Month and day of the birthday' },
}, 'MONTH_DAY');

export const ORDER_SORT = defineSort('Order', {
  PLACED_AT: { property: 'placedAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When the order was placed' },
}, 'PLACED_AT');

export const FOLLOW_UP_SORT = defineSort('FollowUp', {
  HAPPENED_AT: { property: 'happenedAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When the contact happened' },
}, 'HAPPENED_AT');

export const FOLLOW_UP_DUE_SORT = defineSort('FollowUpDue', {
  NEXT_FOLLOW_UP_ON: { property: 'nextFollowUpOn', type: 'date', direction: SortDirection.ASC, description: 'The planned date' },
}, 'NEXT_FOLLOW_UP_ON');

export const TAG_SORT = defineSort('Tag', {
  NAME: { property: 'name', type: 'text', direction: SortDirection.ASC, description: 'Name' },
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When the tag was defined' },
}, 'NAME');

@InputType({ description: 'A province, a city, or both' })
export class RegionFilter {
  @Field(() => String, { nullable: true, description: 'Province 省, e.g. 浙江' })
  @IsOptional()
  province?: string | null;

  @Field(() => String, { nullable: true, description: 'City 市, e.g. 杭州' })
  @IsOptional()
  city?: string | null;
}

@InputType({ description: 'Narrows a customer list; all given conditions apply' })
export class CustomerFilter {
  @Field(() => String, {
    nullable: true,
    description: 'Substring of name, nickname, customer number or external id (and phone or email, with customers:pii), e.g. 张; '
      + 'at most 100 characters (BAD_USER_INPUT otherwise)',
  })
  @IsOptional()
  @MaxLength(100)
  search?: string | null;

  @Field(() => CustomerKind, { nullable: true, description: 'Only this kind' })
  @IsOptional()
  kind?: CustomerKind | null;

  @Field(() => [ID], { nullable: true, description: 'Only customers carrying all of these tags' })
  @IsOptional()
  tagIds?: string[] | null;

  @Field(() => RegionFilter, { nullable: true, description: 'Only customers in this province and/or city' })
  @IsOptional()
  region?: RegionFilter | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only customers who bought; false: only those who never did' })
  @IsOptional()
  hasOrdered?: boolean | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Created at or after this time' })
  @IsOptional()
  createdAfter?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Created before this time' })
  @IsOptional()
  createdBefore?: Date | null;
}

@ArgsType()
export class CustomersArgs extends CUSTOMER_SORT.Args {
  @Field(() => CustomerFilter, { nullable: true, description: 'Conditions' })
  filter?: CustomerFilter | null;
}

const DAYS_AHEAD = { defaultValue: 7, description: 'Look this many days ahead, 0 to 60' };

@ArgsType()
export class BirthdayArgs extends BIRTHDAY_SORT.Args {
  @Field(() => Int, DAYS_AHEAD)
  days: number = 7;
}

@ArgsType()
export class FollowUpsDueArgs extends FOLLOW_UP_DUE_SORT.Args {
  @Field(() => Int, DAYS_AHEAD)
  days: number = 7;
}

@InputType({ description: 'Narrows an order list; all given conditions apply. Texts match exactly (platform lower-cased)' })
export class OrderFilter {
  @Field(() => String, { nullable: true, description: 'The order number shown to the customer, e.g. 2025031012345678; at most 64 characters' })
  @IsOptional()
  @MaxLength(64)
  orderNo?: string | null;

  @Field(() => String, { nullable: true, description: "The order's id on its platform; at most 128 characters" })
  @IsOptional()
  @MaxLength(128)
  externalId?: string | null;

  @Field(() => String, { nullable: true, description: 'Platform, e.g. taobao, jd, tmall (any case); at most 40 characters' })
  @IsOptional()
  @MaxLength(40)
  platform?: string | null;

  @Field(() => ID, { nullable: true, description: "Only this customer's orders (an unknown id matches none)" })
  @IsOptional()
  customerId?: string | null;

  @Field(() => [OrderStatus], { nullable: true, description: 'Only orders in one of these states' })
  @IsOptional()
  status?: OrderStatus[] | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Placed at or after this time' })
  @IsOptional()
  placedAfter?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Placed before this time' })
  @IsOptional()
  placedBefore?: Date | null;
}

@ArgsType()
export class OrdersArgs extends ORDER_SORT.Args {
  @Field(() => OrderFilter, { nullable: true, description: 'Conditions' })
  filter?: OrderFilter | null;
}
