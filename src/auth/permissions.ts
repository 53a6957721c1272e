import type { PermissionDefinition } from '../kernel/module';
import { ADMIN_ROLES, ALL_ROLES, Role } from './roles';

export const IDENTITY_PERMISSIONS = {
  workspaceRead: 'workspace:read',
  workspaceWrite: 'workspace:write',
  usersRead: 'users:read',
  usersWrite: 'users:write',
  apiKeysWrite: 'apiKeys:write',
} as const;

export const identityPermissions: PermissionDefinition[] = [
  { name: 'workspace:read', description: 'Read the workspace', roles: ALL_ROLES, scopable: true },
  // The time zone decides what "today" is for every date rule of every module: the owner's call, like making owners.
  { name: 'workspace:write', description: 'Rename the workspace and change its settings (time zone)', roles: [Role.OWNER], scopable: false, implies: ['workspace:read'] },
  { name: 'users:read', description: 'List the users of the workspace', roles: ALL_ROLES, scopable: true },
  { name: 'users:write', description: 'Create, change and deactivate users', roles: ADMIN_ROLES, scopable: false },
  { name: 'apiKeys:write', description: 'Issue, list and revoke API keys', roles: ADMIN_ROLES, scopable: false },
];

