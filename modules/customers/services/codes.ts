import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * Platforms (taobao, jd, order-system) and consent channels (app, wechat, web, store) are codes that other records
 * are matched and grouped by, so each has one stored form: trimmed and lower-case. `TAOBAO`, ` taobao` and
 * `taobao` are one platform; `APP` and `app` one channel.
 */
export function normalizeCode(raw: string): string {
  return raw.trim().toLowerCase();
}

const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/** class-validator rule for a code: 1 to 40 letters, digits, `_`, `.` or `-`, starting with a letter or digit. */
export function IsCode(example: string, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isCode',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be 1-40 letters, digits, _ . or -, e.g. ${example}`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && CODE_PATTERN.test(value) },
    });
}
