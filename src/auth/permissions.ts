import type { PermissionDefinition } from '../kernel/module';
import { ADMIN_ROLES, ALL_ROLES } from './roles';

export const IDENTITY_PERMISSIONS = {
  workspaceRead: 'workspace:read',
  usersRead: 'users:read',
  usersWrite: 'users:write',
  apiKeysWrite: 'apiKeys:write',
} as const;

export const identityPermissions: PermissionDefinition[] = [
  { name: 'workspace:read', description: 'Read the workspace', roles: ALL_ROLES, scopable: true },
  { name: 'users:read', description: 'List the users of the workspace', roles: ALL_ROLES, scopable: true },
  { name: 'users:write', description: 'Create, change and deactivate users', roles: ADMIN_ROLES, scopable: false },
  { name: 'apiKeys:write', description: 'Issue, list and revoke API keys', roles: ADMIN_ROLES, scopable: false },
];

/**
 * Emitted when a credential stops being valid or changes its rights: logout and session revocation (refs.sessionId),
 * apiKeyRevoke (refs.apiKeyId), deactivation or role change of a user (refs.userId). Every instance closes the
 * WebSocket connections opened with it, since those authenticated once, when they connected.
 */
export const ACCESS_REVOKED = 'identity.accessRevoked';
