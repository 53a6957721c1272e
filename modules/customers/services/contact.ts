import { registerDecorator, type ValidationOptions } from 'class-validator';

/** Separators people type inside phone numbers. */
const SEPARATORS = /[\s()（）-]/g;
const MOBILE = /^(?:\+?86|0086)?(1[3-9]\d{9})$/;
const LANDLINE = /^(0\d{2,3})-?(\d{7,8})$/;

/**
 * A mainland mobile (`13812345678`, `+86 138 1234 5678`) becomes its 11 digits; a landline given with its area code
 * and a dash (`021-12345678`) is kept as `0AA-NNNNNNNN`. Anything else is undefined, i.e. malformed. One stored form
 * per number is what makes deduplication and search by phone work.
 */
export function normalisePhone(raw: string): string | undefined {
  const compact = raw.replace(/[\s()（）]/g, '');
  const mobile = MOBILE.exec(compact.replace(SEPARATORS, ''));
  if (mobile) return mobile[1];
  const landline = compact.includes('-') ? LANDLINE.exec(compact) : null;
  return landline ? `${landline[1]}-${landline[2]}` : undefined;
}

export { normaliseEmail } from '../../../src/kernel/text';

/** `138****5678`: enough to recognise a number the customer reads out, not enough to call it. */
export function maskPhone(phone: string): string {
  return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

/** `z***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

/** class-validator rule: a mobile or landline that normalisePhone accepts. */
export function IsPhone(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPhone',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a mainland mobile (13812345678) or a landline with area code (021-12345678)`, ...options },
      validator: { validate: (value: unknown) => value == null || (typeof value === 'string' && normalisePhone(value) !== undefined) },
    });
}
