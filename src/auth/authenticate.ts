import type { AppServices } from '../context';
import { AppError } from '../graphql/errors';
import { apiKeyPrefixOf, credentialHash, safeEqualHex, SESSION_TOKEN_PREFIX, API_KEY_PREFIX } from './credentials';
import { GUEST_TOKEN_PREFIX, verifyGuestToken } from './guest-tokens';
import type { Principal, PrincipalUser, StaffPrincipal } from './principal';
import type { Role } from './roles';

/** lastUsedAt is written at most this often per credential, to keep reads from turning into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Reads `Bearer <token>` from an Authorization header value (HTTP) or connectionParams (WebSocket). */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value.trim());
  return match?.[1];
}

interface CredentialRow {
  id: string;
  workspace_id: string;
  user_id: string;
  role: Role;
  active: boolean;
  email: string;
  display_name: string;
  version: number;
  // the ORM's connection returns timestamps as strings
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  secret_hash?: string;
  scopes?: string[];
}

// Authentication runs before every request whose principal is not cached, so it is one hand-written join rather
// than ORM loads (stack.md: raw SQL is several times faster per single-row read); it reads the whole user, which
// `me` and `viewer` then answer from (Principal.user). Credentials are looked up across workspaces: that is how we
// learn the workspace. Joins match the workspace too, as every join of workspace tables does (a distributed
// database joins rows of one workspace only).
const USER_COLUMNS = `u.id as user_id, u.role, u.active, u.email, u.display_name, u.version, u.created_at, u.updated_at`;
const SESSION_SQL = `select s.id, u.workspace_id, ${USER_COLUMNS}, s.expires_at, s.revoked_at, s.last_used_at
  from session s join "user" u on u.workspace_id = s.workspace_id and u.id = s.user_id where s.token_hash = ?`;
// A prefix is unique within a workspace only, so this may find a key of each of a few workspaces.
const API_KEY_SQL = `select k.id, k.workspace_id, ${USER_COLUMNS}, k.expires_at, k.revoked_at, k.last_used_at,
  k.secret_hash, k.scopes from api_key k join "user" u on u.workspace_id = k.workspace_id and u.id = k.created_by_id where k.prefix = ?`;

/**
 * Turns a bearer token into a principal. No token means anonymous (undefined); a token that is unknown, expired,
 * revoked, or whose user was deactivated is UNAUTHENTICATED, so a client learns its credential is bad.
 * A guest token (gt_…) is checked by its signature alone, without SQL and without the cache.
 * A staff principal this instance found in the last PRINCIPAL_CACHE_SECONDS is served from its cache
 * (src/auth/principal-cache.ts), without SQL, as long as the credential has not expired.
 */
export async function authenticate(app: AppServices, token: string | undefined): Promise<Principal | undefined> {
  if (!token) return undefined;
  const now = new Date();
  if (token.startsWith(GUEST_TOKEN_PREFIX)) return verifyGuestToken(app, token, now);
  const tokenHash = credentialHash(app.config.secret, token);
  const cached = app.principals.get(tokenHash, now);
  if (cached) return cached;
  const since = app.principals.currentGeneration;
  // The connection of the root EntityManager: a plain statement needs no fork (no identity map, no filters).
  const connection = app.orm.em.getConnection();
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    const [session] = await connection.execute<CredentialRow[]>(SESSION_SQL, [tokenHash]);
    if (!session || session.revoked_at || isPast(session.expires_at, now) || !session.active) {
      throw AppError.unauthenticated('The session token is invalid, expired or revoked: log in again');
    }
    await touch(app, 'session', session, now);
    const principal: StaffPrincipal = {
      kind: 'USER',
      workspaceId: session.workspace_id,
      userId: session.user_id,
      sessionId: session.id,
      role: session.role,
      permissions: app.registry.permissionsOf(session.role),
      user: userOf(session),
    };
    app.principals.remember(tokenHash, principal, dateOf(session.expires_at), since);
    return principal;
  }
  if (token.startsWith(API_KEY_PREFIX)) {
    const prefix = apiKeyPrefixOf(token);
    const candidates = prefix ? await connection.execute<CredentialRow[]>(API_KEY_SQL, [prefix]) : [];
    const key = candidates.find((candidate) => safeEqualHex(candidate.secret_hash!, tokenHash));
    if (!key) throw AppError.unauthenticated('The API key is not valid');
    if (key.revoked_at) throw AppError.unauthenticated('The API key was revoked');
    if (isPast(key.expires_at, now)) throw AppError.unauthenticated('The API key has expired');
    if (!key.active) throw AppError.unauthenticated('The API key belongs to a deactivated user');
    await touch(app, 'api_key', key, now);
    // A key never holds more than its creator holds now: demoting the creator narrows the key.
    const creatorPermissions = app.registry.permissionsOf(key.role);
    const principal: StaffPrincipal = {
      kind: 'API_KEY',
      workspaceId: key.workspace_id,
      userId: key.user_id,
      apiKeyId: key.id,
      role: key.role,
      permissions: app.registry.withImplied(key.scopes!.filter((scope) => creatorPermissions.has(scope))),
      user: userOf(key),
    };
    app.principals.remember(tokenHash, principal, dateOf(key.expires_at), since);
    return principal;
  }
  throw AppError.unauthenticated('The token is not a session token (st_…), an API key (sk_…) or a guest token (gt_…)');
}

function userOf(row: CredentialRow): PrincipalUser {
  return {
    id: row.user_id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    active: row.active,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function dateOf(timestamp: string | null): Date | null {
  return timestamp === null ? null : new Date(timestamp);
}

function isPast(timestamp: string | null, now: Date): boolean {
  return timestamp !== null && new Date(timestamp) <= now;
}

async function touch(app: AppServices, table: 'session' | 'api_key', row: CredentialRow, now: Date) {
  if (row.last_used_at && now.getTime() - new Date(row.last_used_at).getTime() < LAST_USED_RESOLUTION_MS) return;
  await app.orm.em.getConnection().execute(`update ${table} set last_used_at = ? where workspace_id = ? and id = ?`, [now, row.workspace_id, row.id]);
}
