import { registerDecorator, type ValidationOptions } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** Separators people type inside phone numbers. */
const SEPARATORS = /[\s()（）-]/g;
const MOBILE = /^(?:\+?86|0086)?(1[3-9]\d{9})$/;
const LANDLINE = /^(0\d{2,3})-?(\d{7,8})$/;
/** A number without its spaces and brackets: digits, a leading + and dashes or dots (no letters, no extension). */
const PHONE_CHARACTERS = /^\+?[\d.-]+$/;

/**
 * One stored form per number, which is what makes deduplication and search by phone work:
 * - a mainland mobile (`13812345678`, `+86 138 1234 5678`, `0086…`) becomes its 11 digits;
 * - a mainland landline becomes `0AA-NNNNNNNN` (`021-12345678`; also from `021 1234 5678` or `+86 21 1234 5678`);
 * - any other number, given with its country code (`+852 9123 4567`, `00853 6612 3456`), becomes E.164
 *   (`+85291234567`). Without a country code a number is read as a mainland one.
 * The two mainland rules are the ones numbers were stored by before international numbers were accepted, and run
 * first, so every stored value keeps its form. Other numbers are checked with libphonenumber's full metadata
 * (number plans of every country are not something to write by hand). Anything else is undefined, i.e. malformed.
 */
export function normalisePhone(raw: string): string | undefined {
  const compact = raw.replace(/[\s()（）]/g, '');
  const mobile = MOBILE.exec(compact.replace(SEPARATORS, ''));
  if (mobile) return mobile[1];
  const landline = compact.includes('-') ? LANDLINE.exec(compact) : null;
  if (landline) return `${landline[1]}-${landline[2]}`;
  if (!PHONE_CHARACTERS.test(compact)) return undefined;
  // China as the default region: a number without a country code is a mainland one, and 00 dials abroad.
  const parsed = parsePhoneNumberFromString(compact, 'CN');
  if (!parsed?.isValid()) return undefined;
  if (parsed.countryCallingCode !== '86') return parsed.number;
  if (parsed.getType() !== 'FIXED_LINE') return undefined;
  // formatNational gives "021 1234 5678": the trunk prefix and area code, then the subscriber number
  const [areaCode, ...subscriber] = parsed.formatNational().split(' ');
  return `${areaCode}-${subscriber.join('')}`;
}

export { normaliseEmail } from '../../../src/kernel/text';

/**
 * `138****5678`, `021****5678`, `+852****4567`: enough to recognise a number the customer reads out (and, abroad,
 * where it is from), not enough to call it.
 */
export function maskPhone(phone: string): string {
  const head = phone.startsWith('+') ? `+${parsePhoneNumberFromString(phone)?.countryCallingCode ?? ''}` : phone.slice(0, 3);
  return `${head}****${phone.slice(-4)}`;
}

/** `z***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

/** class-validator rule: a number normalisePhone accepts (its failure is the PHONE_INVALID userError). */
export function IsPhone(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPhone',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be a mainland mobile (13812345678), a mainland landline with area code (021-12345678) `
          + 'or a number with its country code (+852 9123 4567)',
        ...options,
      },
      validator: { validate: (value: unknown) => value == null || (typeof value === 'string' && normalisePhone(value) !== undefined) },
    });
}
