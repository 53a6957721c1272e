import type { EventRefs } from '../kernel/events';
import type { Role } from './roles';

/**
 * The user's record as authentication read it (the same join that checks the credential), so that `me` and
 * `viewer` answer without reading the user again. Every field of User that GraphQL serves is here, so any change
 * to the user must invalidate cached principals (USER_CHANGED, src/auth/principal-cache.ts).
 */
export interface PrincipalUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  active: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A member of the workspace's staff calling: a signed-in user or a partner's API key, always inside one workspace. */
export interface StaffPrincipal {
  kind: 'USER' | 'API_KEY';
  workspaceId: string;
  /** The user, or for an API key the user who created it (audit entries name both). */
  userId: string;
  sessionId?: string;
  apiKeyId?: string;
  role: Role;
  /** For users the role's permissions; for keys the scopes the creator still holds. */
  permissions: ReadonlySet<string>;
  /** The user of `userId` as read when the credential was checked. */
  user: PrincipalUser;
}

/** The one permission a guest holds: `@Authorized()` (any principal) lets a guest in, no module permission does. */
export const GUEST_ACCESS = 'guest';

/**
 * Someone who is not a user of the workspace, holding a guest token (src/auth/guest-tokens.ts) for one record of
 * theirs: a chat-widget visitor (`{ type: 'Visitor', id }`), later a shopper following a return. A guest reads
 * only what a type's read rule grants it as its own (`ReadRule.ownRecord`).
 */
export interface GuestPrincipal {
  kind: 'GUEST';
  workspaceId: string;
  /** The record the token was issued for: its GraphQL type and uuid. */
  guest: { type: string; id: string };
  /** Just GUEST_ACCESS. */
  permissions: ReadonlySet<string>;
}

/** Who is calling: staff (a user or an API key) or a guest. */
export type Principal = StaffPrincipal | GuestPrincipal;

/** Whether an identity event (its refs: sessionId, apiKeyId or userId) concerns this principal; never a guest. */
export function isConcernedBy(principal: Principal | undefined, refs: EventRefs = {}): boolean {
  if (!principal || principal.kind === 'GUEST') return false;
  return (
    (refs.sessionId !== undefined && refs.sessionId === principal.sessionId) ||
    (refs.apiKeyId !== undefined && refs.apiKeyId === principal.apiKeyId) ||
    (refs.userId !== undefined && refs.userId === principal.userId)
  );
}
