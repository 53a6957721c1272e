import { registerDecorator, type ValidationOptions } from 'class-validator';
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { DateTimeResolver, LocalDateResolver } from 'graphql-scalars';

/**
 * Dates and times are accepted from year 1 to year 9999 (UTC). graphql-scalars' formats allow year 0 (which
 * PostgreSQL's date input refuses: it has no year 0) and, through a time-zone offset, instants before year 1 or
 * after 9999; such values reached the database and came back as internal errors. The range is checked here, in the
 * scalars, so that every argument and input field of these types refuses them as BAD_USER_INPUT before a resolver runs.
 */
const EARLIEST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

function instantInRange(value: unknown): Date {
  const date = value as Date;
  if (!(date.getTime() >= EARLIEST_INSTANT && date.getTime() <= LATEST_INSTANT)) {
    throw new GraphQLError('A DateTime must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z');
  }
  return date;
}

/** graphql-scalars' DateTime (RFC 3339, a JavaScript Date inside), limited to the years 1 to 9999. */
export const DateTimeScalar = new GraphQLScalarType<Date, Date | string>({
  ...DateTimeResolver.toConfig(),
  description: 'A date-time string with an offset, such as 2007-12-03T10:15:30Z (RFC 3339), from year 1 to year 9999',
  parseValue: (value) => instantInRange(DateTimeResolver.parseValue(value)),
  parseLiteral: (ast: ValueNode, variables) => instantInRange(DateTimeResolver.parseLiteral(ast, variables)),
});

function dayInRange(value: unknown): string {
  if ((value as string).startsWith('0000')) throw new GraphQLError('A LocalDate must lie between 0001-01-01 and 9999-12-31');
  return value as string;
}

/** graphql-scalars' LocalDate ("YYYY-MM-DD", a string inside), without year 0. */
export const LocalDateScalar = new GraphQLScalarType<string, string>({
  ...LocalDateResolver.toConfig(),
  description: 'A calendar date without time zone, "YYYY-MM-DD", e.g. "2020-01-01", from 0001-01-01 to 9999-12-31',
  parseValue: (value) => dayInRange(LocalDateResolver.parseValue(value)),
  parseLiteral: (ast: ValueNode, variables) => dayInRange(LocalDateResolver.parseLiteral(ast, variables)),
});

/** Money columns are `numeric(14,2)`: twelve digits before the point, two after. */
const DECIMAL_PATTERN = /^\d{1,12}(\.\d{1,2})?$/;

/**
 * An exact decimal (money), always a string on the wire: "199.00". Floats never touch an amount: the database
 * column is numeric and arithmetic is done in integer cents (`toCents`). Input accepts a string or a JSON number
 * and hands it on as written, unchecked: the mutation validates it (`@IsMoney`) so that a malformed amount is a
 * userError on the right field, or on the right row of an import, instead of failing the whole request.
 */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "199.00"; used for money. Never a float',
  serialize(value) {
    if (typeof value === 'string') return value;
    throw new GraphQLError('Decimal values are strings; a number here would be a float');
  },
  parseValue(value) {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    throw new GraphQLError('A Decimal is a string such as "199.00"');
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return ast.value;
    throw new GraphQLError('A Decimal is a string such as "199.00"');
  },
});

/** True for a non-negative amount with at most two decimals that fits numeric(14,2). */
export function isMoney(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL_PATTERN.test(value.trim());
}

/** Exact cents of a valid amount (see isMoney). */
export function toCents(value: string): bigint {
  const [whole, fraction = ''] = value.trim().split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** "199.00" from 19900n. */
export function fromCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** class-validator rule for Decimal inputs: a non-negative amount with at most two decimals. */
export function IsMoney(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isMoney',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a non-negative amount with at most 2 decimals, e.g. "199.00"`, ...options },
      validator: { validate: (value: unknown) => isMoney(value) },
    });
}
