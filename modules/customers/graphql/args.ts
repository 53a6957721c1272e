import { IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { PageArgs } from '../../../src/graphql/connection';
import { CustomerKind } from '../entities/enums';
import { DateTimeScalar } from '../../../src/graphql/scalars';

export enum CustomerSort {
  CREATED_AT = 'CREATED_AT',
  LAST_ORDER_AT = 'LAST_ORDER_AT',
}
registerEnumType(CustomerSort, {
  name: 'CustomerSort',
  description: 'Order of a customer list, newest first',
  valuesConfig: {
    CREATED_AT: { description: 'By when the customer was created' },
    LAST_ORDER_AT: { description: 'By latest purchase; customers who never bought are left out' },
  },
});

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
export class CustomersArgs extends PageArgs {
  @Field(() => CustomerFilter, { nullable: true, description: 'Conditions' })
  filter?: CustomerFilter | null;

  @Field(() => CustomerSort, { defaultValue: CustomerSort.CREATED_AT, description: 'Order' })
  sort: CustomerSort = CustomerSort.CREATED_AT;
}

@ArgsType()
export class CareArgs extends PageArgs {
  @Field(() => Int, { defaultValue: 7, description: 'Look this many days ahead, 0 to 60' })
  days: number = 7;
}
