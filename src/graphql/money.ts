import { Field, ObjectType } from 'type-graphql';
import { DecimalScalar } from './scalars';

/** The currency of amounts given without one (an order whose input names none): the shops served are Chinese. */
export const DEFAULT_CURRENCY = 'CNY';

/**
 * An amount with its currency, wherever an amount is shown (Shopify's MoneyV2, Saleor's Money): a number alone
 * cannot say whether it is yuan or Hong Kong dollars, and amounts of different currencies must never be added.
 */
@ObjectType({ description: 'An amount of money in a currency' })
export class Money {
  @Field(() => DecimalScalar, { description: 'Exact decimal amount, e.g. "199.00"' })
  amount!: string;

  @Field({ description: 'ISO 4217 currency code, e.g. CNY' })
  currency!: string;

  static of(amount: string, currency: string): Money {
    return Object.assign(new Money(), { amount, currency });
  }
}
