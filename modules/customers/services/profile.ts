import { UserError, UserErrorCode } from '../../../src/graphql/user-errors';
import type { Customer } from '../entities/customer';
import { CustomerKind } from '../entities/enums';
import type { CustomerProfileInput } from '../graphql/inputs';
import { normaliseEmail, normalisePhone } from './contact';

/** Text fields copied as given (trimmed; blank means cleared). */
const TEXT_FIELDS = ['name', 'nickname', 'province', 'city', 'notes'] as const;
const VALUE_FIELDS = ['kind', 'birthday', 'gender', 'personalityType', 'behaviorType'] as const;
export const MERCHANT_FIELDS = ['shopName', 'location', 'contactPhone', 'foundedOn', 'assetsBand', 'businessStatus', 'membershipLevel'] as const;

/** Every column that holds something about the person; merge fills the kept customer's gaps from these. */
export const PERSONAL_FIELDS = [
  'nickname', 'phone', 'email', 'province', 'city', 'birthday', 'birthdayMonthDay', 'gender', 'notes',
  'personalityType', 'behaviorType', ...MERCHANT_FIELDS,
] as const;

export type ProfileData = Partial<Record<keyof Customer, unknown>>;
type ProfileInput = CustomerProfileInput & { name?: string | null; kind?: CustomerKind | null };

const clean = (value: string | null | undefined) => (value == null ? null : value.trim() || null);

/**
 * What an input changes on a customer, normalised (phone digits, lower-case email, birthday month-day), without
 * touching the entity yet: duplicates and rules are checked on this before anything is written.
 */
export function profileChanges(customer: Partial<Customer>, input: ProfileInput): ProfileData {
  const data: ProfileData = {};
  for (const key of TEXT_FIELDS) {
    if (input[key] === undefined || (key === 'name' && input[key] === null)) continue;
    data[key] = clean(input[key]);
  }
  for (const key of VALUE_FIELDS) {
    if (input[key] === undefined || (key === 'kind' && input[key] === null)) continue;
    data[key] = input[key];
  }
  if (input.phone !== undefined) data.phone = input.phone === null ? null : normalisePhone(input.phone);
  if (input.email !== undefined) data.email = input.email === null ? null : normaliseEmail(input.email);
  if ('birthday' in data) data.birthdayMonthDay = data.birthday ? (data.birthday as string).slice(5) : null;
  if (input.merchant !== undefined) {
    for (const key of MERCHANT_FIELDS) {
      const value = input.merchant?.[key];
      if (input.merchant !== null && value === undefined) continue;
      data[key] = key === 'contactPhone' ? (value ? normalisePhone(value as string) : null) : typeof value === 'string' ? clean(value) : (value ?? null);
    }
  }
  const kind = (data.kind ?? customer.kind) as CustomerKind;
  // An individual has no merchant details: switching to INDIVIDUAL clears them.
  if (kind === CustomerKind.INDIVIDUAL && !input.merchant) {
    for (const key of MERCHANT_FIELDS) if (customer[key] != null) data[key] = null;
  }
  for (const key of Object.keys(data) as (keyof Customer)[]) {
    if ((data[key] ?? null) === (customer[key] ?? null)) delete data[key];
  }
  return data;
}

/** Rules on the customer as it would be after the change; `today` is the workspace's (`ctx.clock()`). */
export function profileProblems(customer: Partial<Customer>, input: ProfileInput, data: ProfileData, today: string): UserError[] {
  const problems: UserError[] = [];
  const kind = (data.kind ?? customer.kind) as CustomerKind;
  if (input.merchant && kind !== CustomerKind.MERCHANT) {
    problems.push(UserError.of(['input', 'merchant'], 'Merchant details are only for customers of kind MERCHANT', UserErrorCode.KIND_MISMATCH));
  }
  if (typeof data.birthday === 'string' && data.birthday > today) {
    problems.push(UserError.of(['input', 'birthday'], 'birthday cannot be in the future', UserErrorCode.DATE_IN_FUTURE));
  }
  if (typeof data.foundedOn === 'string' && data.foundedOn > today) {
    problems.push(UserError.of(['input', 'merchant', 'foundedOn'], 'foundedOn cannot be in the future', UserErrorCode.DATE_IN_FUTURE));
  }
  return problems;
}

/** What a search without `customers:pii` may match; kept in `customer.search_text`. */
export function searchTextOf(customer: Pick<Customer, 'name' | 'nickname' | 'customerNo'>, externalIds: string[]): string {
  return [customer.name, customer.nickname, customer.customerNo, ...externalIds]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

