import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../context';
import { AppError } from '../graphql/errors';
import { apiKeyPrefixOf, credentialHash, safeEqualHex, SESSION_TOKEN_PREFIX, API_KEY_PREFIX } from './credentials';
import type { Principal } from './principal';
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
  // the ORM's connection returns timestamps as strings
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  secret_hash?: string;
  scopes?: string[];
}

// Authentication runs before every request, so it is one hand-written join rather than ORM loads
// (stack.md: raw SQL is several times faster per single-row read). Credentials are looked up across
// workspaces: that is how we learn the workspace. Joins match the workspace too, as every join of workspace tables
// does (a distributed database joins rows of one workspace only).
const SESSION_SQL = `select s.id, u.workspace_id, u.id as user_id, u.role, u.active, s.expires_at, s.revoked_at, s.last_used_at
  from session s join "user" u on u.workspace_id = s.workspace_id and u.id = s.user_id where s.token_hash = ?`;
// A prefix is unique within a workspace only, so this may find a key of each of a few workspaces.
const API_KEY_SQL = `select k.id, k.workspace_id, u.id as user_id, u.role, u.active, k.expires_at, k.revoked_at, k.last_used_at,
  k.secret_hash, k.scopes from api_key k join "user" u on u.workspace_id = k.workspace_id and u.id = k.created_by_id where k.prefix = ?`;

/**
 * Turns a bearer token into a principal. No token means anonymous (undefined); a token that is unknown, expired,
 * revoked, or whose user was deactivated is UNAUTHENTICATED, so a client learns its credential is bad.
 */
export async function authenticate(app: AppServices, token: string | undefined): Promise<Principal | undefined> {
  if (!token) return undefined;
  const em = app.orm.em.fork() as EntityManager;
  const now = new Date();
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    const [session] = await em.getConnection().execute<CredentialRow[]>(SESSION_SQL, [credentialHash(app.config.secret, token)]);
    if (!session || session.revoked_at || isPast(session.expires_at, now) || !session.active) {
      throw AppError.unauthenticated('The session token is invalid, expired or revoked: log in again');
    }
    await touch(em, 'session', session, now);
    return {
      kind: 'USER',
      workspaceId: session.workspace_id,
      userId: session.user_id,
      sessionId: session.id,
      role: session.role,
      permissions: app.registry.permissionsOf(session.role),
    };
  }
  if (token.startsWith(API_KEY_PREFIX)) {
    const prefix = apiKeyPrefixOf(token);
    const candidates = prefix ? await em.getConnection().execute<CredentialRow[]>(API_KEY_SQL, [prefix]) : [];
    const secretHash = credentialHash(app.config.secret, token);
    const key = candidates.find((candidate) => safeEqualHex(candidate.secret_hash!, secretHash));
    if (!key) throw AppError.unauthenticated('The API key is not valid');
    if (key.revoked_at) throw AppError.unauthenticated('The API key was revoked');
    if (isPast(key.expires_at, now)) throw AppError.unauthenticated('The API key has expired');
    if (!key.active) throw AppError.unauthenticated('The API key belongs to a deactivated user');
    await touch(em, 'api_key', key, now);
    // A key never holds more than its creator holds now: demoting the creator narrows the key.
    const creatorPermissions = app.registry.permissionsOf(key.role);
    return {
      kind: 'API_KEY',
      workspaceId: key.workspace_id,
      userId: key.user_id,
      apiKeyId: key.id,
      role: key.role,
      permissions: app.registry.withImplied(key.scopes!.filter((scope) => creatorPermissions.has(scope))),
    };
  }
  throw AppError.unauthenticated('The token is not a session token (st_…) or an API key (sk_…)');
}

function isPast(timestamp: string | null, now: Date): boolean {
  return timestamp !== null && new Date(timestamp) <= now;
}

async function touch(em: EntityManager, table: 'session' | 'api_key', row: CredentialRow, now: Date) {
  if (row.last_used_at && now.getTime() - new Date(row.last_used_at).getTime() < LAST_USED_RESOLUTION_MS) return;
  await em.getConnection().execute(`update ${table} set last_used_at = ? where workspace_id = ? and id = ?`, [now, row.workspace_id, row.id]);
}
