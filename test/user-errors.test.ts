import { OptimisticLockError } from '@mikro-orm/core';
import { UserErrorCode, UserInputFailure, userErrorsFrom } from '../src/graphql/user-errors';

/** Which failures inside a mutation become userErrors (the transaction rolled back), and which stay errors. */
describe('userErrorsFrom', () => {
  it('maps expected failures to userErrors', () => {
    expect(userErrorsFrom(UserInputFailure.of(['input', 'name'], 'name must not be empty', UserErrorCode.REQUIRED))).toEqual([
      { field: ['input', 'name'], message: 'name must not be empty', code: 'REQUIRED' },
    ]);
    expect(userErrorsFrom(OptimisticLockError.lockFailed('x'))?.[0]).toMatchObject({ field: ['input', 'version'], code: 'VERSION_CONFLICT' });
    // PostgreSQL's own codes, as raw SQL on hot paths raises them
    expect(userErrorsFrom(Object.assign(new Error('duplicate key'), { code: '23505' }))?.[0].code).toBe('DUPLICATE');
    expect(userErrorsFrom(Object.assign(new Error('violates foreign key'), { code: '23503' }))?.[0].code).toBe('NOT_FOUND');
  });

  it('leaves anything else to be an INTERNAL_SERVER_ERROR', () => {
    expect(userErrorsFrom(new Error('bug'))).toBeUndefined();
    expect(userErrorsFrom(Object.assign(new Error('deadlock'), { code: '40P01' }))).toBeUndefined();
  });
});
