import { defineModule } from '../kernel/module';
import { ApiKey, LoginEmail, LoginFailure, PasswordReset, Session, User, Workspace } from './entities';
import { ACCESS_REVOKED, USER_CHANGED } from './events';
import { IDENTITY_PERMISSIONS, identityPermissions } from './permissions';
import { ApiKeyFieldsResolver, IdentityResolver, UserFieldsResolver, ViewerFieldsResolver, WorkspaceFieldsResolver } from './resolvers';
import { purgeSessionsJob } from './jobs';

/** Workspaces, users, sessions and API keys: who may call the API, and in which workspace. */
export const identityModule = defineModule({
  name: 'identity',
  entities: [Workspace, User, LoginEmail, Session, ApiKey, LoginFailure, PasswordReset],
  resolvers: [IdentityResolver, UserFieldsResolver, ApiKeyFieldsResolver, WorkspaceFieldsResolver, ViewerFieldsResolver],
  permissions: identityPermissions,
  nodeTypes: {
    // Staff read their own workspace (its name heads every screen); workspace:read is for the `workspace` query.
    // Tenant isolation means no other workspace can be reached. A guest reads what its module shows it, not the
    // workspace's record.
    Workspace: {
      entity: Workspace, permission: IDENTITY_PERMISSIONS.workspaceRead,
      ownRecord: (workspace: Workspace, reader) => reader.kind !== 'GUEST' && workspace.id === reader.workspaceId,
    },
    // Staff reached through any relation (FollowUp.author, AuditEntry.actor, ApiKey.createdBy) need users:read;
    // a signed-in user always reads their own record.
    User: { entity: User, permission: IDENTITY_PERMISSIONS.usersRead, ownRecord: (user: User, reader) => reader.kind === 'USER' && user.id === reader.userId },
    // A key reads itself (viewer.apiKey); other keys need apiKeys:write, which keys never carry.
    ApiKey: { entity: ApiKey, permission: IDENTITY_PERMISSIONS.apiKeysWrite, ownRecord: (apiKey: ApiKey, reader) => reader.kind === 'API_KEY' && apiKey.id === reader.apiKeyId },
  },
  // The caller's own view, and the catalogue of permissions (public: it says what a key may ask for).
  openTypes: ['Viewer', 'Permission'],
  jobs: [purgeSessionsJob],
  events: [ACCESS_REVOKED, USER_CHANGED],
});

// The public face of identity: what feature modules use of it (users, their loaders, roles, permissions, events).
// Modules import nothing else of src/auth (test/import-boundaries.test.ts); the platform's folders may reach inside.
export { ApiKey, User, Workspace } from './entities';
export { userById, workspaceById } from './loaders';
export { IDENTITY_PERMISSIONS } from './permissions';
export { GUEST_ACCESS, type GuestPrincipal, type Principal, type StaffPrincipal } from './principal';
export { issueGuestToken, verifyGuestToken, type GuestTokenClaims } from './guest-tokens';
export { ACCESS_REVOKED, USER_CHANGED } from './events';
export { ADMIN_ROLES, ALL_ROLES, Role } from './roles';
