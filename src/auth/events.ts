import { defineEvent } from '../kernel/events';

/**
 * Emitted when a credential stops being valid or changes its rights: logout and session revocation (refs.sessionId),
 * apiKeyRevoke (refs.apiKeyId), deactivation or role change of a user (refs.userId). Every instance closes the
 * WebSocket connections opened with it, since those authenticated once, when they connected.
 */
export const ACCESS_REVOKED = defineEvent<{ sessionId?: string; userId?: string; apiKeyId?: string }>('identity.accessRevoked');
