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

/** Who is calling: a signed-in user or a partner's API key, always inside one workspace. */
export interface Principal {
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

/** Whether an identity event (its refs: sessionId, apiKeyId or userId) concerns this principal. */
export function isConcernedBy(principal: Principal | undefined, refs: EventRefs = {}): boolean {
  if (!principal) return false;
  return (
    (refs.sessionId !== undefined && refs.sessionId === principal.sessionId) ||
    (refs.apiKeyId !== undefined && refs.apiKeyId === principal.apiKeyId) ||
    (refs.userId !== undefined && refs.userId === principal.userId)
  );
}
