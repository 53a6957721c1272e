import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { AppServices } from '../context';
import { AppError } from '../graphql/errors';
import { GUEST_ACCESS, type GuestPrincipal } from './principal';

/**
 * Guest tokens: a credential for people who are not users of the workspace (a chat-widget visitor, a shopper
 * following their return), naming one record of theirs, the subject (`Visitor` 3f1c…). Stateless and signed:
 * `gt_<payload>.<signature>`, the payload base64url JSON `{ w, t, s, e }` (workspace id, subject type, subject id,
 * expiry in epoch seconds), the signature base64url HMAC-SHA-256 of the payload text. Checking one costs no
 * database round trip, and there is no table: nothing revokes a token but its expiry (or a new APP_SECRET), so
 * a module checks on use that its subject still exists and may still do what it asks.
 *
 * Written with node:crypto rather than a JWT library: one fixed algorithm, no header to negotiate it (the classic
 * JWT pitfalls of `alg: none` and key confusion cannot arise), and the whole format is the twenty lines below.
 */
export const GUEST_TOKEN_PREFIX = 'gt_';

/** What a guest token says, as issued. */
export interface GuestTokenClaims {
  workspaceId: string;
  /** The GraphQL type of the guest's record, e.g. Visitor. */
  subjectType: string;
  /** The record's id (a uuid: it is recorded as the actor of events and audit entries). */
  subjectId: string;
  expiresAt: Date;
}

interface Payload {
  w: string;
  t: string;
  s: string;
  e: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TYPE_NAME = /^[A-Z][A-Za-z0-9]{0,63}$/;
/** An HMAC-SHA-256 in base64url. */
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
/** What every guest holds: `@Authorized()` lets it in, no module permission does. */
const GUEST_PERMISSIONS: ReadonlySet<string> = new Set([GUEST_ACCESS]);
/** Far above any token issued here (about 200 characters): longer input is refused before any work. */
const MAX_TOKEN_LENGTH = 1024;

/**
 * The signing key, derived from APP_SECRET with HKDF under a label of its own, so that a guest token's signature
 * is never the value another use of the secret computes (session and key hashes, hashed client addresses are
 * HMACs keyed with the secret itself: an HMAC of a chosen text with it must not be a valid signature here).
 */
const signingKeys = new Map<string, Buffer>(); // derived once per secret, not on every request
function signingKey(secret: string): Buffer {
  let key = signingKeys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, '', 'service-desk guest token v1', 32));
    signingKeys.set(secret, key);
  }
  return key;
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', signingKey(secret)).update(payload).digest('base64url');
}

/**
 * Issues a guest token for one record of a workspace, valid until `expiresAt` (the caller decides the lifetime:
 * the chat widget's visitor tokens live about 30 days). Whoever holds it is a GuestPrincipal of that workspace
 * (src/auth/principal.ts): it passes `@Authorized()` and no permission, and reads what read rules grant a guest
 * through `ownRecord`.
 */
export function issueGuestToken(app: Pick<AppServices, 'config'>, claims: GuestTokenClaims): string {
  const { workspaceId, subjectType, subjectId, expiresAt } = claims;
  if (!UUID.test(workspaceId)) throw new Error(`issueGuestToken: workspaceId must be a uuid, not ${JSON.stringify(workspaceId)}`);
  if (!TYPE_NAME.test(subjectType)) throw new Error(`issueGuestToken: subjectType must be a type name such as Visitor, not ${JSON.stringify(subjectType)}`);
  if (!UUID.test(subjectId)) throw new Error(`issueGuestToken: subjectId must be a uuid, not ${JSON.stringify(subjectId)}`);
  const expiry = Math.floor(expiresAt.getTime() / 1000);
  if (!(expiry * 1000 > Date.now())) throw new Error('issueGuestToken: expiresAt must be in the future');
  const body: Payload = { w: workspaceId.toLowerCase(), t: subjectType, s: subjectId.toLowerCase(), e: expiry };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${GUEST_TOKEN_PREFIX}${payload}.${sign(app.config.secret, payload)}`;
}

/**
 * The guest a token names, or UNAUTHENTICATED saying what is wrong with it: malformed, not signed by this
 * server's secret (tampered with, or issued under another APP_SECRET), or expired. The signature is checked
 * before the payload is read, in constant time. authenticate() calls it for every gt_ bearer token; a module
 * that has just issued a token to an anonymous caller uses it to read the response with that guest's rights
 * (`ctx.readAs`).
 */
export function verifyGuestToken(app: Pick<AppServices, 'config'>, token: string, now = new Date()): GuestPrincipal {
  const malformed = () => AppError.unauthenticated('The guest token is malformed: use the token exactly as it was issued');
  if (!token.startsWith(GUEST_TOKEN_PREFIX) || token.length > MAX_TOKEN_LENGTH) throw malformed();
  const [payload, signature, ...rest] = token.slice(GUEST_TOKEN_PREFIX.length).split('.');
  if (!payload || signature === undefined || rest.length || !SIGNATURE.test(signature)) throw malformed();
  // The texts are compared, not the decoded bytes: the last base64url character has unused bits, and only the
  // signature exactly as issued is accepted.
  if (!timingSafeEqual(Buffer.from(sign(app.config.secret, payload)), Buffer.from(signature))) {
    throw AppError.unauthenticated('The guest token is not valid: its signature does not match (altered, or issued by another server)');
  }
  const body = parsePayload(payload);
  if (!body) throw malformed();
  if (body.e * 1000 <= now.getTime()) throw AppError.unauthenticated('The guest token has expired: ask for a new one');
  return { kind: 'GUEST', workspaceId: body.w, guest: { type: body.t, id: body.s }, permissions: GUEST_PERMISSIONS };
}

/** The payload of a correctly signed token: only this server writes those, so a bad shape is a bug or an old format. */
function parsePayload(payload: string): Payload | undefined {
  try {
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Payload> | null;
    if (
      body && typeof body.w === 'string' && UUID.test(body.w) && typeof body.t === 'string' && TYPE_NAME.test(body.t)
      && typeof body.s === 'string' && UUID.test(body.s) && Number.isSafeInteger(body.e)
    ) return body as Payload;
  } catch {
    // not JSON: malformed
  }
  return undefined;
}
