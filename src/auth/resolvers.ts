import { Reference, wrap } from '@mikro-orm/core';
import { LocalDateScalar } from '../graphql/scalars';
import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import { viewOf } from '../db/entity-views';
import type { StaffPrincipal } from './principal';
import { Connection, defineSort, paginate, SortDirection } from '../graphql/connection';
import { mutationPayload } from '../graphql/user-errors';
import { COST } from '../graphql/cost';
import { WorkspaceClock } from '../kernel/clock';
import { ApiKey, User, Workspace } from './entities';
import {
  ApiKeyCreateInput, ApiKeyCreatePayload, ApiKeyRevokeInput, ApiKeyRevokePayload, AuthPayload, LoginInput,
  LogoutPayload, PasswordChangeInput, PasswordChangePayload, PasswordResetCompleteInput, Permission, SignUpInput, UserCreateInput,
  UserPasswordResetInput, UserPasswordResetPayload, UserPayload, UserUpdateInput, Viewer, ViewerKind, WorkspacePayload,
  WorkspaceUpdateInput,
} from './graphql';
import { userById, workspaceById } from './loaders';
import { IDENTITY_PERMISSIONS } from './permissions';
import * as identity from './service';

const UserConnection = Connection(User);

const ApiKeyConnection = Connection(ApiKey);

const CREATED_AT = { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was created' } as const;
const USER_SORT = defineSort('User', { CREATED_AT }, 'CREATED_AT');
const API_KEY_SORT = defineSort('ApiKey', { CREATED_AT }, 'CREATED_AT');

@Resolver()
export class IdentityResolver {
  @Mutation(() => AuthPayload, { description: 'Create a workspace and its OWNER, and sign in', complexity: COST.PASSWORD_HASH })
  signUp(@Arg('input', { description: 'The fields of the input type' }) input: SignUpInput, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return mutationPayload(AuthPayload, () => identity.signUp(ctx, input));
  }

  @Mutation(() => AuthPayload, { description: 'Sign in with email and password; returns a session token', complexity: COST.PASSWORD_HASH })
  login(@Arg('input', { description: 'The fields of the input type' }) input: LoginInput, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return mutationPayload(AuthPayload, () => identity.login(ctx, input));
  }

  @Authorized()
  @Mutation(() => LogoutPayload, { description: 'Revoke the session token this request was made with' })
  logout(@Ctx() ctx: RequestContext): Promise<LogoutPayload> {
    return mutationPayload(LogoutPayload, async () => {
      await identity.logout(ctx);
      return { revoked: true };
    });
  }

  @Authorized(IDENTITY_PERMISSIONS.usersWrite)
  @Mutation(() => UserPayload, { description: 'Add a user to the workspace (OWNER, MANAGER)', complexity: COST.PASSWORD_HASH })
  userCreate(@Arg('input', { description: 'The fields of the input type' }) input: UserCreateInput, @Ctx() ctx: RequestContext): Promise<UserPayload> {
    return mutationPayload(UserPayload, async () => ({ user: await identity.createUser(ctx, input) }));
  }

  @Authorized(IDENTITY_PERMISSIONS.usersWrite)
  @Mutation(() => UserPayload, { description: 'Rename, change the role of, or deactivate a user (OWNER, MANAGER)' })
  userUpdate(@Arg('input', { description: 'The fields of the input type' }) input: UserUpdateInput, @Ctx() ctx: RequestContext): Promise<UserPayload> {
    return mutationPayload(UserPayload, async () => ({ user: await identity.updateUser(ctx, input) }));
  }

  @Authorized()
  @Mutation(() => PasswordChangePayload, {
    description: "Change the signed-in user's password: checks the current one (throttled like login), signs out the user's other sessions, keeps this one",
    complexity: 2 * COST.PASSWORD_HASH,
  })
  passwordChange(@Arg('input', { description: 'The fields of the input type' }) input: PasswordChangeInput, @Ctx() ctx: RequestContext): Promise<PasswordChangePayload> {
    return mutationPayload(PasswordChangePayload, () => identity.changePassword(ctx, input));
  }

  @Authorized(IDENTITY_PERMISSIONS.usersWrite)
  @Mutation(() => UserPasswordResetPayload, {
    description: "Reset a user's password (OWNER; MANAGER for users who are not OWNERs): signs them out, voids the old password, "
      + 'and returns a one-time token, expiring, for passwordResetComplete',
    complexity: COST.PASSWORD_HASH,
  })
  userPasswordReset(@Arg('input', { description: 'The fields of the input type' }) input: UserPasswordResetInput, @Ctx() ctx: RequestContext): Promise<UserPasswordResetPayload> {
    return mutationPayload(UserPasswordResetPayload, () => identity.resetPassword(ctx, input));
  }

  @Mutation(() => AuthPayload, {
    description: 'Set a new password with a token from userPasswordReset (once, before it expires), and sign in',
    complexity: COST.PASSWORD_HASH,
  })
  passwordResetComplete(@Arg('input', { description: 'The fields of the input type' }) input: PasswordResetCompleteInput, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return mutationPayload(AuthPayload, () => identity.completePasswordReset(ctx, input));
  }

  @Authorized(IDENTITY_PERMISSIONS.workspaceWrite)
  @Mutation(() => WorkspacePayload, { description: 'Rename the workspace or change its time zone (OWNER); audited; a stale version is CONFLICT' })
  workspaceUpdate(@Arg('input', { description: 'The fields of the input type' }) input: WorkspaceUpdateInput, @Ctx() ctx: RequestContext): Promise<WorkspacePayload> {
    return mutationPayload(WorkspacePayload, async () => ({ workspace: await identity.updateWorkspace(ctx, input) }));
  }

  @Authorized(IDENTITY_PERMISSIONS.apiKeysWrite)
  @Mutation(() => ApiKeyCreatePayload, { description: 'Issue an API key with scopes you hold; the secret is returned once' })
  apiKeyCreate(@Arg('input', { description: 'The fields of the input type' }) input: ApiKeyCreateInput, @Ctx() ctx: RequestContext): Promise<ApiKeyCreatePayload> {
    return mutationPayload(ApiKeyCreatePayload, () => identity.createApiKey(ctx, input));
  }

  @Authorized(IDENTITY_PERMISSIONS.apiKeysWrite)
  @Mutation(() => ApiKeyRevokePayload, { description: 'Revoke an API key; it is refused from the next request on. Only an OWNER revokes a key an OWNER issued' })
  apiKeyRevoke(@Arg('input', { description: 'The fields of the input type' }) input: ApiKeyRevokeInput, @Ctx() ctx: RequestContext): Promise<ApiKeyRevokePayload> {
    return mutationPayload(ApiKeyRevokePayload, async () => ({ apiKey: await identity.revokeApiKey(ctx, input.id) }));
  }

  @Query(() => User, { nullable: true, description: 'The signed-in user; null for API keys (see `viewer`), guest tokens and anonymous callers' })
  me(@Ctx() ctx: RequestContext): User | null {
    if (ctx.principal?.kind !== 'USER') return null;
    return userOfPrincipal(ctx, ctx.principal);
  }

  @Authorized()
  @Query(() => Viewer, { description: 'The caller, whether a user or an API key, with the permissions in force (FORBIDDEN for a guest token)' })
  viewer(@Ctx() ctx: RequestContext): Viewer {
    const principal = ctx.caller;
    return { kind: principal.kind as ViewerKind, permissions: [...principal.permissions].sort(), principal };
  }

  @Authorized(IDENTITY_PERMISSIONS.workspaceRead)
  @Query(() => Workspace, { description: "The caller's workspace" })
  async workspace(@Ctx() ctx: RequestContext): Promise<Workspace> {
    return (await workspaceById(ctx).load(ctx.workspaceId))!;
  }

  @Authorized(IDENTITY_PERMISSIONS.usersRead)
  @Query(() => UserConnection, { description: 'Users of the workspace, newest first unless sorted otherwise' })
  users(@Args(() => USER_SORT.Args) args: InstanceType<typeof USER_SORT.Args>, @Ctx() ctx: RequestContext) {
    return paginate(ctx.em, User, {}, args, USER_SORT.sortKey(args.sort));
  }

  @Authorized(IDENTITY_PERMISSIONS.apiKeysWrite)
  @Query(() => ApiKeyConnection, { description: 'API keys of the workspace, newest first unless sorted otherwise (OWNER, MANAGER)' })
  apiKeys(@Args(() => API_KEY_SORT.Args) args: InstanceType<typeof API_KEY_SORT.Args>, @Ctx() ctx: RequestContext) {
    return paginate(ctx.em, ApiKey, {}, args, API_KEY_SORT.sortKey(args.sort));
  }

  @Query(() => [Permission], { description: 'Every permission, the roles that hold it and whether API keys may carry it' })
  permissions(@Ctx() ctx: RequestContext): Permission[] {
    return [...ctx.app.registry.permissions.values()].map((p) => ({ ...p, implies: p.implies ?? [] }));
  }
}

@Resolver(() => User)
export class UserFieldsResolver {
  @FieldResolver(() => Workspace, { description: 'The workspace the user belongs to' })
  async workspace(@Root() user: User, @Ctx() ctx: RequestContext): Promise<Workspace> {
    // signUp and login answer anonymous requests, which cannot query a workspace: they return it loaded.
    if (wrap(user.workspace).isInitialized()) return user.workspace;
    return (await workspaceById(ctx).load(user.workspace.id))!;
  }
}

@Resolver(() => Viewer)
export class ViewerFieldsResolver {
  @FieldResolver(() => Workspace, { description: "The caller's workspace" })
  async workspace(@Root() viewer: Viewer, @Ctx() ctx: RequestContext): Promise<Workspace> {
    return (await workspaceById(ctx).load(viewer.principal.workspaceId))!;
  }

  @FieldResolver(() => User, { nullable: true, description: 'For a session: the user. For an API key: the user who created it' })
  user(@Root() viewer: Viewer, @Ctx() ctx: RequestContext): User {
    return userOfPrincipal(ctx, viewer.principal);
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'For an API key: the key' })
  async apiKey(@Root() viewer: Viewer, @Ctx() ctx: RequestContext): Promise<ApiKey | null> {
    return viewer.principal.apiKeyId ? ctx.em.findOne(ApiKey, viewer.principal.apiKeyId) : null;
  }
}

/**
 * The principal's user (for a key, its creator) as a User built from what authentication read, so `me` and
 * `viewer.user` run no SQL. It belongs to no EntityManager (a view: nothing reads or flushes it through one) and its
 * workspace is an uninitialized reference, which User.workspace loads. Cached principals are dropped whenever the
 * user changes (USER_CHANGED), so this is the user as the database holds it.
 */
function userOfPrincipal(ctx: RequestContext, principal: StaffPrincipal): User {
  const user = viewOf(ctx.app.orm.getMetadata(), User, principal.user);
  user.workspace = Reference.createNakedFromPK(Workspace, principal.workspaceId);
  return user;
}

@Resolver(() => ApiKey)
export class ApiKeyFieldsResolver {
  @FieldResolver(() => User, { nullable: true, description: 'Who issued the key' })
  createdBy(@Root() apiKey: ApiKey, @Ctx() ctx: RequestContext): Promise<User | null> {
    return userById(ctx).load(apiKey.createdBy.id);
  }
}

@Resolver(() => Workspace)
export class WorkspaceFieldsResolver {
  @FieldResolver(() => LocalDateScalar, { description: 'The current date in the workspace\'s time zone: the day its date rules take as today' })
  today(@Root() workspace: Workspace): string {
    return new WorkspaceClock(workspace.timeZone).today();
  }
}
