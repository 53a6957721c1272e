import { ForeignKeyConstraintViolationException, OptimisticLockError, UniqueConstraintViolationException } from '@mikro-orm/core';
import { validate, ValidationError } from 'class-validator';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** Why an input was refused. Generic on purpose: the field path and message say the specifics. */
export enum UserErrorCode {
  INVALID = 'INVALID',
  REQUIRED = 'REQUIRED',
  TOO_SHORT = 'TOO_SHORT',
  TOO_LONG = 'TOO_LONG',
  DUPLICATE = 'DUPLICATE',
  NOT_FOUND = 'NOT_FOUND',
  NOT_ALLOWED = 'NOT_ALLOWED',
  CONFLICT = 'CONFLICT',
  ALREADY_DONE = 'ALREADY_DONE',
  LIMIT_EXCEEDED = 'LIMIT_EXCEEDED',
  PHONE_INVALID = 'PHONE_INVALID',
}
registerEnumType(UserErrorCode, {
  name: 'UserErrorCode',
  description: 'Why an input was refused',
  valuesConfig: {
    INVALID: { description: 'The value is malformed or out of range' },
    REQUIRED: { description: 'A value is missing' },
    TOO_SHORT: { description: 'The value is shorter than allowed' },
    TOO_LONG: { description: 'The value is longer than allowed' },
    DUPLICATE: { description: 'Another record already has this value' },
    NOT_FOUND: { description: 'The referenced record does not exist in this workspace' },
    NOT_ALLOWED: { description: 'The value is beyond what the caller may grant or do' },
    CONFLICT: { description: 'Someone else changed the record since it was read: reload and retry' },
    ALREADY_DONE: { description: 'The action was already carried out and cannot be repeated' },
    LIMIT_EXCEEDED: { description: 'Too many items in one request' },
    PHONE_INVALID: { description: 'Not a phone number: a mainland mobile or landline with area code, or a number with its country code (+852…)' },
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

  static of(field: string[], message: string, code: UserErrorCode = UserErrorCode.INVALID): UserError {
    return Object.assign(new UserError(), { field, message, code });
  }
}

/** Thrown inside a mutation to roll it back and answer with userErrors instead of data. */
export class UserInputFailure extends Error {
  constructor(readonly userErrors: UserError[]) {
    super(userErrors.map((e) => `${e.field.join('.')}: ${e.message}`).join('; '));
  }

  static of(field: string[], message: string, code?: UserErrorCode): UserInputFailure {
    return new UserInputFailure([UserError.of(field, message, code)]);
  }
}

function conflict(noun: string): UserError {
  return UserError.of(['input', 'version'], `Someone else changed this ${noun} since you loaded it; reload and try again`, UserErrorCode.CONFLICT);
}

/** Optimistic locking: refuses with CONFLICT when the record is no longer at the version the caller read. */
export function assertVersion(record: { version: number }, expected: number, noun: string): void {
  if (record.version !== expected) throw new UserInputFailure([conflict(noun)]);
}

/** The common part of every mutation payload (decorated so that payloads inherit `userErrors`). */
@ObjectType()
export abstract class MutationPayload {
  @Field(() => [UserError], { description: 'Empty when the mutation succeeded' })
  userErrors: UserError[] = [];
}

const CONSTRAINT_CODES: Record<string, UserErrorCode> = {
  isNotEmpty: UserErrorCode.REQUIRED,
  isDefined: UserErrorCode.REQUIRED,
  minLength: UserErrorCode.TOO_SHORT,
  maxLength: UserErrorCode.TOO_LONG,
  arrayMaxSize: UserErrorCode.LIMIT_EXCEEDED,
  isPhone: UserErrorCode.PHONE_INVALID,
};

function flatten(errors: ValidationError[], path: string[]): UserError[] {
  return errors.flatMap((error) => {
    const here = [...path, error.property];
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      UserError.of(here, message, CONSTRAINT_CODES[constraint] ?? UserErrorCode.INVALID),
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
