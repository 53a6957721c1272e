import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../context';
import { AppError } from '../graphql/errors';
import { apiKeyPrefixOf, safeEqualHex, sha256, SESSION_TOKEN_PREFIX, API_KEY_PREFIX } from './credentials';
import { ApiKey, Session } from './entities';
import type { Principal } from './principal';

/** lastUsedAt is written at most this often per credential, to keep reads from turning into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Reads `Bearer <token>` from an Authorization header value (HTTP) or connectionParams (WebSocket). */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value.trim());
  return match?.[1];
}

/**
 * Turns a bearer token into a principal. No token means anonymous (undefined); a token that is unknown, expired,
 * revoked, or whose user was deactivated is UNAUTHENTICATED, so a client learns its credential is bad.
 */
export async function authenticate(app: AppServices, token: string | undefined): Promise<Principal | undefined> {
  if (!token) return undefined;
  // Credentials are looked up across workspaces: that is how we learn the workspace.
  const em = app.orm.em.fork() as EntityManager;
  const now = new Date();
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    const session = await em.findOne(Session, { tokenHash: sha256(token) }, { populate: ['user'], filters: false });
    if (!session || session.revokedAt || session.expiresAt <= now || !session.user.active) {
      throw AppError.unauthenticated('The session token is invalid, expired or revoked: log in again');
    }
    await touch(em, Session, session.id, session.lastUsedAt, now);
    return {
      kind: 'USER',
      workspaceId: session.user.workspace.id,
      userId: session.user.id,
      sessionId: session.id,
      role: session.user.role,
      permissions: app.registry.permissionsOf(session.user.role),
    };
  }
  if (token.startsWith(API_KEY_PREFIX)) {
    const prefix = apiKeyPrefixOf(token);
    const key = prefix ? await em.findOne(ApiKey, { prefix }, { populate: ['createdBy'], filters: false }) : null;
    if (!key || !safeEqualHex(key.secretHash, sha256(token))) throw AppError.unauthenticated('The API key is not valid');
    if (key.revokedAt) throw AppError.unauthenticated('The API key was revoked');
    if (key.expiresAt && key.expiresAt <= now) throw AppError.unauthenticated('The API key has expired');
    if (!key.createdBy.active) throw AppError.unauthenticated('The API key belongs to a deactivated user');
    await touch(em, ApiKey, key.id, key.lastUsedAt, now);
    // A key never holds more than its creator holds now: demoting the creator narrows the key.
    const creatorPermissions = app.registry.permissionsOf(key.createdBy.role);
    return {
      kind: 'API_KEY',
      workspaceId: key.workspace.id,
      userId: key.createdBy.id,
      apiKeyId: key.id,
      role: key.createdBy.role,
      permissions: new Set(key.scopes.filter((scope) => creatorPermissions.has(scope))),
    };
  }
  throw AppError.unauthenticated('The token is not a session token (st_…) or an API key (sk_…)');
}

async function touch(em: EntityManager, entity: typeof Session | typeof ApiKey, id: string, lastUsedAt: Date | undefined, now: Date) {
  if (lastUsedAt && now.getTime() - lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  await em.nativeUpdate(entity as any, { id }, { lastUsedAt: now }, { filters: false });
}
