import { createHash, createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 64 };

/** scrypt with a random salt; the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, expected] = stored.split('$');
  if (scheme !== 'scrypt') return false;
  const expectedBytes = Buffer.from(expected, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expectedBytes.length, {
    N: Number(N), r: Number(r), p: Number(p),
  });
  return timingSafeEqual(actual, expectedBytes);
}

/** A password hash of nothing, checked when the email is unknown so that timing does not reveal accounts. */
export const DUMMY_PASSWORD_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(64).toString('base64');

/**
 * How session tokens and API-key secrets are stored: HMAC-SHA-256 keyed with APP_SECRET. They are long random
 * strings, so a fast hash is safe; the key means a copy of the database alone cannot even check a guessed token.
 * Changing APP_SECRET therefore signs everybody out and invalidates every API key.
 */
export function credentialHash(secret: string, token: string): string {
  return createHmac('sha256', secret).update(token).digest('hex');
}

/** A plain SHA-256, for values that are not secrets but should not be stored in clear (emails of failed logins). */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

export const SESSION_TOKEN_PREFIX = 'st_';
export const API_KEY_PREFIX = 'sk_';
export const PASSWORD_RESET_PREFIX = 'pr_';

export function newSessionToken(): string {
  return SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function newPasswordResetToken(): string {
  return PASSWORD_RESET_PREFIX + randomBytes(32).toString('base64url');
}

/** `sk_<8 hex: the lookup prefix>_<secret>`; the key row is found by `sk_<8 hex>` and the whole string is hashed. */
export function newApiKeySecret(): { prefix: string; secret: string } {
  const prefix = API_KEY_PREFIX + randomBytes(4).toString('hex');
  return { prefix, secret: `${prefix}_${randomBytes(32).toString('base64url')}` };
}

export function apiKeyPrefixOf(secret: string): string | undefined {
  const match = /^(sk_[0-9a-f]{8})_[A-Za-z0-9_-]{20,}$/.exec(secret);
  return match?.[1];
}
