import { ForeignKeyConstraintViolationException, OptimisticLockError, UniqueConstraintViolationException } from '@mikro-orm/core';
import { validate, ValidationError } from 'class-validator';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

/**
 * Why an input was refused: specific enough for a frontend to show the right message (and, with `field`, where)
 * without parsing `message`. General codes (INVALID, REQUIRED, TOO_LONG …) are for rules that say nothing more;
 * a rule with a meaning of its own (an email, an amount, a date in the future) has its own code. Every value is
 * documented in the schema; the class-validator rules map to codes in CONSTRAINT_CODES below.
 */
export enum UserErrorCode {
  INVALID = 'INVALID',
  REQUIRED = 'REQUIRED',
  ONE_OF_REQUIRED = 'ONE_OF_REQUIRED',
  TOO_SHORT = 'TOO_SHORT',
  TOO_LONG = 'TOO_LONG',
  TOO_SMALL = 'TOO_SMALL',
  TOO_LARGE = 'TOO_LARGE',
  EMAIL_INVALID = 'EMAIL_INVALID',
  PHONE_INVALID = 'PHONE_INVALID',
  AMOUNT_INVALID = 'AMOUNT_INVALID',
  AMOUNT_MISMATCH = 'AMOUNT_MISMATCH',
  CURRENCY_INVALID = 'CURRENCY_INVALID',
  CODE_INVALID = 'CODE_INVALID',
  COLOR_INVALID = 'COLOR_INVALID',
  TIME_ZONE_INVALID = 'TIME_ZONE_INVALID',
  SCOPE_UNKNOWN = 'SCOPE_UNKNOWN',
  DATE_IN_FUTURE = 'DATE_IN_FUTURE',
  DATE_IN_PAST = 'DATE_IN_PAST',
  DATE_OUT_OF_ORDER = 'DATE_OUT_OF_ORDER',
  KIND_MISMATCH = 'KIND_MISMATCH',
  CREDENTIALS_INVALID = 'CREDENTIALS_INVALID',
  USER_DEACTIVATED = 'USER_DEACTIVATED',
  RESET_TOKEN_INVALID = 'RESET_TOKEN_INVALID',
  CUSTOMER_ERASED = 'CUSTOMER_ERASED',
  MERGE_SAME_CUSTOMER = 'MERGE_SAME_CUSTOMER',
  DUPLICATE = 'DUPLICATE',
  NOT_FOUND = 'NOT_FOUND',
  NOT_ALLOWED = 'NOT_ALLOWED',
  VERSION_CONFLICT = 'VERSION_CONFLICT',
  CONFLICT = 'CONFLICT',
  ALREADY_DONE = 'ALREADY_DONE',
  LIMIT_EXCEEDED = 'LIMIT_EXCEEDED',
  CONVERSATION_CLOSED = 'CONVERSATION_CLOSED',
  AGENT_UNAVAILABLE = 'AGENT_UNAVAILABLE',
  URL_INVALID = 'URL_INVALID',
}
registerEnumType(UserErrorCode, {
  name: 'UserErrorCode',
  description: 'Why an input was refused; `field` says where, `message` says it in words',
  valuesConfig: {
    INVALID: { description: 'The value is malformed, and no more specific code applies' },
    REQUIRED: { description: 'A value is missing or blank' },
    ONE_OF_REQUIRED: { description: 'Exactly one of alternative fields must be given (e.g. customerId or customerExternalId)' },
    TOO_SHORT: { description: 'The text is shorter than allowed (e.g. a password under 8 characters)' },
    TOO_LONG: { description: 'The text is longer than allowed' },
    TOO_SMALL: { description: 'The number is below the minimum (e.g. a quantity under 1)' },
    TOO_LARGE: { description: 'The number is above the maximum' },
    EMAIL_INVALID: { description: 'Not an email address' },
    PHONE_INVALID: { description: 'Not a phone number: a mainland mobile or landline with area code, or a number with its country code (+852…)' },
    AMOUNT_INVALID: { description: 'Not an amount: a non-negative decimal with at most 2 decimals and 12 digits before the point, e.g. "199.00"' },
    AMOUNT_MISMATCH: { description: "An order's total is not the sum of its items (unit price × quantity)" },
    CURRENCY_INVALID: { description: 'Not an ISO 4217 currency code such as CNY, HKD or USD' },
    CODE_INVALID: { description: 'Not a code (a platform or channel such as taobao or app): 1–40 letters, digits, _ . or -' },
    COLOR_INVALID: { description: 'Not a color in the form #RRGGBB' },
    TIME_ZONE_INVALID: { description: 'Not an IANA time zone name such as Asia/Shanghai (abbreviations like CST and offsets like +08:00 are not zones)' },
    SCOPE_UNKNOWN: { description: 'No such permission (see the `permissions` query)' },
    DATE_IN_FUTURE: { description: 'The date or time is in the future, where only past ones make sense (a birthday, when a contact happened)' },
    DATE_IN_PAST: { description: 'The date or time must be in the future (an expiry)' },
    DATE_OUT_OF_ORDER: { description: 'The date comes before one it must follow (paidAt before placedAt, a next follow-up before the follow-up)' },
    KIND_MISMATCH: { description: 'The value does not apply to this kind of record (merchant details on an INDIVIDUAL customer)' },
    CREDENTIALS_INVALID: { description: 'The email or the password is wrong (which one is not said)' },
    USER_DEACTIVATED: { description: 'The user was deactivated and cannot sign in' },
    RESET_TOKEN_INVALID: { description: 'The password-reset token is unknown, already redeemed, replaced by a newer reset, or expired: ask for a new reset' },
    CUSTOMER_ERASED: { description: "The customer's personal data was erased; the record can no longer change" },
    MERGE_SAME_CUSTOMER: { description: 'A customer cannot be merged into itself' },
    DUPLICATE: { description: 'Another record already has this value (or the input lists it twice)' },
    NOT_FOUND: { description: 'The referenced record does not exist in this workspace' },
    NOT_ALLOWED: { description: 'The value is beyond what the caller may grant or do' },
    VERSION_CONFLICT: { description: 'Someone else changed the record since you read it (its version moved on): reload and retry' },
    CONFLICT: { description: 'A record the input refers to was changed at the same moment (merged, removed): send it again' },
    ALREADY_DONE: { description: 'The action was already carried out and cannot be repeated' },
    LIMIT_EXCEEDED: { description: 'Too many items in one request' },
    CONVERSATION_CLOSED: { description: 'The conversation is closed: reopen it first' },
    AGENT_UNAVAILABLE: { description: 'The agent is not online or has no free capacity' },
    URL_INVALID: { description: 'Not an absolute http:// or https:// address' },
  },
});

/** One problem with a mutation's input, Shopify style: where (a path into the input), what, and a code. */
@ObjectType({ description: 'A problem with the input of a mutation; the mutation changed nothing' })
export class UserError {
  @Field(() => [String], { description: 'Path to the input field at fault, e.g. ["input", "email"]' })
  field!: string[];

  @Field({ description: 'A sentence a person can read' })
  message!: string;

  @Field(() => UserErrorCode, { description: 'A code a program can branch on' })
  code!: UserErrorCode;

  static of(field: string[], message: string, code: UserErrorCode): UserError {
    return Object.assign(new UserError(), { field, message, code });
  }
}

/** Thrown inside a mutation to roll it back and answer with userErrors instead of data. */
export class UserInputFailure extends Error {
  constructor(readonly userErrors: UserError[]) {
    super(userErrors.map((e) => `${e.field.join('.')}: ${e.message}`).join('; '));
  }

  static of(field: string[], message: string, code: UserErrorCode): UserInputFailure {
    return new UserInputFailure([UserError.of(field, message, code)]);
  }
}

function conflict(noun: string): UserError {
  return UserError.of(['input', 'version'], `Someone else changed this ${noun} since you loaded it; reload and try again`, UserErrorCode.VERSION_CONFLICT);
}

/** Optimistic locking: refuses with VERSION_CONFLICT when the record is no longer at the version the caller read. */
export function assertVersion(record: { version: number }, expected: number, noun: string): void {
  if (record.version !== expected) throw new UserInputFailure([conflict(noun)]);
}

/** The common part of every mutation payload (decorated so that payloads inherit `userErrors`). */
@ObjectType()
export abstract class MutationPayload {
  @Field(() => [UserError], { description: 'Empty when the mutation succeeded' })
  userErrors: UserError[] = [];
}

/**
 * The one map from class-validator constraint names (the rule's `name`) to codes. A rule not listed here is INVALID:
 * a rule that means more than "malformed" gets a decorator of its own name (isMoney, isPhone, isCode …) and a line
 * here.
 */
const CONSTRAINT_CODES: Record<string, UserErrorCode> = {
  isNotEmpty: UserErrorCode.REQUIRED,
  isDefined: UserErrorCode.REQUIRED,
  isNotBlank: UserErrorCode.REQUIRED,
  minLength: UserErrorCode.TOO_SHORT,
  maxLength: UserErrorCode.TOO_LONG,
  min: UserErrorCode.TOO_SMALL,
  max: UserErrorCode.TOO_LARGE,
  arrayMaxSize: UserErrorCode.LIMIT_EXCEEDED,
  isEmail: UserErrorCode.EMAIL_INVALID,
  isPhone: UserErrorCode.PHONE_INVALID,
  isMoney: UserErrorCode.AMOUNT_INVALID,
  isCurrencyCode: UserErrorCode.CURRENCY_INVALID,
  isCode: UserErrorCode.CODE_INVALID,
  isColor: UserErrorCode.COLOR_INVALID,
};

/** The code of a class-validator constraint (see CONSTRAINT_CODES). */
export function codeOfConstraint(constraint: string): UserErrorCode {
  return CONSTRAINT_CODES[constraint] ?? UserErrorCode.INVALID;
}

function flatten(errors: ValidationError[], path: string[]): UserError[] {
  return errors.flatMap((error) => {
    const here = [...path, error.property];
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      UserError.of(here, message, codeOfConstraint(constraint)),
    );
    return [...own, ...flatten(error.children ?? [], here)];
  });
}

/** Runs the class-validator rules declared on an input class; throws UserInputFailure listing every problem. */
export async function validateInput(input: object, path: string[] = ['input']): Promise<void> {
  const errors = await validate(input, { forbidUnknownValues: false });
  if (errors.length) throw new UserInputFailure(flatten(errors, path));
}

/**
 * Turns the expected failures of a mutation into userErrors. Because the work ran in one transaction that the
 * failure rolled back, the payload with userErrors always means "nothing was changed".
 */
export function userErrorsFrom(error: unknown): UserError[] | undefined {
  if (error instanceof UserInputFailure) return error.userErrors;
  if (error instanceof OptimisticLockError) {
    // the same conflict, caught by the ORM's version check between our read and the write
    return [conflict('record')];
  }
  // The ORM's exception, or PostgreSQL's unique_violation from a raw statement on a hot path.
  if (error instanceof UniqueConstraintViolationException || (error as { code?: string })?.code === '23505') {
    // The database caught a race that the service's own duplicate check could not see.
    return [UserError.of(['input'], 'A record with these values was created at the same moment; try again', UserErrorCode.DUPLICATE)];
  }
  if (error instanceof ForeignKeyConstraintViolationException || (error as { code?: string })?.code === '23503') {
    // a record the input refers to was deleted by someone else between our read and our write
    return [UserError.of(['input'], 'A record this refers to was deleted at the same moment; reload and try again', UserErrorCode.NOT_FOUND)];
  }
  return undefined;
}

/**
 * Runs a mutation's work and builds its payload: the work's result on success, or only `userErrors` when the
 * work failed in an expected way (and its transaction rolled back). Anything else propagates as a coded error.
 */
export async function mutationPayload<P extends MutationPayload>(
  Payload: new () => P,
  work: () => Promise<Partial<Omit<P, 'userErrors'>>>,
): Promise<P> {
  try {
    return Object.assign(new Payload(), await work());
  } catch (error) {
    const userErrors = userErrorsFrom(error);
    if (!userErrors) throw error;
    return Object.assign(new Payload(), { userErrors });
  }
}
