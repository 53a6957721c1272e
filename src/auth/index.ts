import { defineModule } from '../kernel/module';
import { ApiKey, LoginFailure, Session, User, Workspace } from './entities';
import { ACCESS_REVOKED, IDENTITY_PERMISSIONS, identityPermissions } from './permissions';
import { ApiKeyFieldsResolver, IdentityResolver, UserFieldsResolver, WorkspaceFieldsResolver } from './resolvers';
import { purgeSessionsJob } from './jobs';

/** Workspaces, users, sessions and API keys: who may call the API, and in which workspace. */
export const identityModule = defineModule({
  name: 'identity',
  entities: [Workspace, User, Session, ApiKey, LoginFailure],
  resolvers: [IdentityResolver, UserFieldsResolver, ApiKeyFieldsResolver, WorkspaceFieldsResolver],
  permissions: identityPermissions,
  nodeTypes: {
    Workspace: { entity: Workspace, permission: IDENTITY_PERMISSIONS.workspaceRead },
    User: { entity: User, permission: IDENTITY_PERMISSIONS.usersRead },
    ApiKey: { entity: ApiKey, permission: IDENTITY_PERMISSIONS.apiKeysWrite },
  },
  jobs: [purgeSessionsJob],
  events: [ACCESS_REVOKED],
});
