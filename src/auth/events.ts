import { defineEvent } from '../kernel/events';

/**
 * Emitted when a credential stops being valid or changes its rights: logout and session revocation (refs.sessionId),
 * apiKeyRevoke (refs.apiKeyId), deactivation or role change of a user (refs.userId). Every instance closes the
 * WebSocket connections opened with it, since those authenticated once, when they connected, and drops the
 * principals it cached for it (src/auth/principal-cache.ts).
 */
export const ACCESS_REVOKED = defineEvent<{ sessionId?: string; userId?: string; apiKeyId?: string }>('identity.accessRevoked');

/**
 * Emitted whenever a user's record changes (name, role, active, and so its version): every instance drops the
 * principals it cached for that user (they carry the record, which `me` answers from). Rights are not the point
 * here: a change that takes rights away also emits ACCESS_REVOKED, which closes WebSocket connections.
 */
export const USER_CHANGED = defineEvent<{ userId: string }>('identity.userChanged');
