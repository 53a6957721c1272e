import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * class-validator rules of our own, each under its own constraint name so that its failure has its own userError
 * code (CONSTRAINT_CODES in user-errors.ts). Written here rather than taken from class-validator where its rule
 * means something else: `@Length(1, n)` lets a blank "   " through, `@IsHexColor` takes "fff" without "#".
 */
function rule(name: string, message: (property: string) => string, test: (value: unknown) => boolean) {
  return (options?: ValidationOptions) => (target: object, propertyName: string) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName,
      options: { message: message(propertyName), ...options },
      validator: { validate: test },
    });
}

/** Text with something in it besides spaces (REQUIRED otherwise). */
export const IsNotBlank = rule('isNotBlank', (p) => `${p} must not be empty`, (v) => typeof v === 'string' && /\S/.test(v));

/** A color `#RRGGBB` (COLOR_INVALID otherwise). */
export const IsColor = rule('isColor', (p) => `${p} must look like #1677FF`, (v) => typeof v === 'string' && /^#[0-9A-Fa-f]{6}$/.test(v));

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** An ISO 4217 currency code, in any case (CURRENCY_INVALID otherwise). */
export const IsCurrencyCode = rule(
  'isCurrencyCode',
  (p) => `${p} must be a known ISO 4217 code such as CNY or USD`,
  (v) => typeof v === 'string' && CURRENCIES.has(v.trim().toUpperCase()),
);
