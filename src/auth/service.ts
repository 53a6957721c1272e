import type { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext } from '../context';
import { tryFromGlobalId } from '../graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput, assertVersion } from '../graphql/user-errors';
import { credentialHash, DUMMY_PASSWORD_HASH, hashPassword, newApiKeySecret, newSessionToken, sha256, verifyPassword } from './credentials';
import { ApiKey, LoginFailure, Session, User, Workspace } from './entities';
import { AppError } from '../graphql/errors';
import type { ApiKeyCreateInput, LoginInput, SignUpInput, UserCreateInput, UserUpdateInput } from './graphql';
import { ACCESS_REVOKED } from './permissions';
import { Role } from './roles';
import { normaliseEmail } from '../kernel/text';


async function assertEmailFree(em: EntityManager, email: string, field: string[]) {
  const taken = await em.count(User, { email }, { filters: false });
  if (taken) throw UserInputFailure.of(field, `${email} is already registered`, UserErrorCode.DUPLICATE);
}

async function openSession(ctx: RequestContext, em: EntityManager, user: User): Promise<string> {
  const token = newSessionToken();
  const expiresAt = new Date(Date.now() + ctx.app.config.sessionTtlDays * 86_400_000);
  em.create(Session, { workspace: user.workspace, user, tokenHash: credentialHash(ctx.app.config.secret, token), expiresAt } as any);
  return token;
}

/** Creates a workspace with its first user, an OWNER, and signs that user in. */
export async function signUp(ctx: RequestContext, input: SignUpInput): Promise<{ token: string; user: User }> {
  await validateInput(input);
  const email = normaliseEmail(input.email);
  const workspace = new Workspace();
  workspace.name = input.workspaceName.trim();
  const passwordHash = await hashPassword(input.password);
  const system = RequestContext.forSystem(ctx.app, workspace.id);
  return system.transaction(async (uow) => {
    await assertEmailFree(uow.em, email, ['input', 'email']);
    uow.em.persist(workspace);
    const user = uow.em.create(User, {
      workspace, email, displayName: input.displayName.trim(), role: Role.OWNER, passwordHash,
    } as any);
    const token = await openSession(ctx, uow.em, user);
    uow.audit({ action: 'platform.workspace.create', subjectType: 'Workspace', subjectId: workspace.id, changes: { name: workspace.name, owner: email } });
    return { token, user };
  });
}

/** Failed logins allowed per email within the window before further attempts are THROTTLED. */
export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MINUTES = 15;

/**
 * Checks email and password; a wrong pair gets one message, whichever half was wrong. After
 * LOGIN_FAILURE_LIMIT failures for one email within the window, attempts are THROTTLED (right password or not)
 * until the oldest failure leaves the window.
 */
export async function login(ctx: RequestContext, input: LoginInput): Promise<{ token: string; user: User }> {
  await validateInput(input);
  const email = normaliseEmail(input.email);
  const emailHash = sha256(email);
  const windowStart = new Date(Date.now() - LOGIN_FAILURE_WINDOW_MINUTES * 60_000);
  // Attempts for one email take turns under a transaction-scoped advisory lock, so parallel guesses are counted
  // exactly like sequential ones; the failure row commits with the attempt, even though the answer is an error.
  const user = await ctx.transaction(async ({ em }) => {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [emailHash]);
    if ((await em.count(LoginFailure, { emailHash, createdAt: { $gt: windowStart } })) >= LOGIN_FAILURE_LIMIT) return 'THROTTLED';
    const found = await em.findOne(User, { email }, { filters: false });
    const passwordOk = await verifyPassword(input.password, found?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!found || !passwordOk) {
      em.persist(Object.assign(new LoginFailure(), { emailHash }));
      return 'WRONG';
    }
    await em.nativeDelete(LoginFailure, { emailHash });
    return found;
  });
  if (user === 'THROTTLED') {
    throw new AppError('THROTTLED', `Too many failed logins for this email; try again in ${LOGIN_FAILURE_WINDOW_MINUTES} minutes`);
  }
  if (user === 'WRONG') throw UserInputFailure.of(['input'], 'Email or password is wrong', UserErrorCode.INVALID);
  if (!user.active) throw UserInputFailure.of(['input'], 'This user has been deactivated', UserErrorCode.NOT_ALLOWED);
  const system = RequestContext.forSystem(ctx.app, user.workspace.id);
  return system.transaction(async (uow) => {
    const scopedUser = await uow.em.findOneOrFail(User, user.id, { populate: ['workspace'] });
    return { token: await openSession(ctx, uow.em, scopedUser), user: scopedUser };
  });
}

/** Revokes the session the request came with. */
export async function logout(ctx: RequestContext): Promise<void> {
  const sessionId = ctx.caller.sessionId;
  if (!sessionId) throw UserInputFailure.of([], 'API keys are revoked with apiKeyRevoke, not logout', UserErrorCode.NOT_ALLOWED);
  await ctx.transaction(async (uow) => {
    await uow.em.nativeUpdate(Session, { id: sessionId }, { revokedAt: new Date() });
    uow.emit(ACCESS_REVOKED, sessionId, { sessionId });
  });
}

/** Adds a user; only an OWNER may create another OWNER. */
export async function createUser(ctx: RequestContext, input: UserCreateInput): Promise<User> {
  await validateInput(input);
  if (input.role === Role.OWNER && ctx.caller.role !== Role.OWNER) {
    throw UserInputFailure.of(['input', 'role'], 'Only an OWNER can create another OWNER', UserErrorCode.NOT_ALLOWED);
  }
  const email = normaliseEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return ctx.transaction(async (uow) => {
    await assertEmailFree(uow.em, email, ['input', 'email']);
    const user = uow.em.create(User, { email, displayName: input.displayName.trim(), role: input.role, passwordHash } as any);
    uow.audit({ action: 'platform.user.create', subjectType: 'User', subjectId: user.id, changes: { email, role: input.role } });
    return user;
  });
}

/** Changes a user's name, role or active flag, refusing a stale version. */
export async function updateUser(ctx: RequestContext, input: UserUpdateInput): Promise<User> {
  await validateInput(input);
  return ctx.transaction(async (uow) => {
    const id = tryFromGlobalId(input.id, 'User');
    const user = id ? await uow.em.findOne(User, id) : null;
    if (!user) throw UserInputFailure.of(['input', 'id'], 'No such user', UserErrorCode.NOT_FOUND);
    assertVersion(user, input.version, 'user');
    const touchesOwner = user.role === Role.OWNER || input.role === Role.OWNER;
    if (touchesOwner && ctx.caller.role !== Role.OWNER) {
      throw UserInputFailure.of(['input', 'role'], 'Only an OWNER can change an OWNER or make one', UserErrorCode.NOT_ALLOWED);
    }
    if (user.id === ctx.caller.userId && (input.active === false || (input.role && input.role !== user.role))) {
      throw UserInputFailure.of(['input'], 'You cannot deactivate yourself or change your own role', UserErrorCode.NOT_ALLOWED);
    }
    const changes: Record<string, unknown> = {};
    for (const key of ['displayName', 'role', 'active'] as const) {
      if (input[key] !== undefined && input[key] !== null && input[key] !== user[key]) {
        (user as any)[key] = input[key];
        changes[key] = input[key];
      }
    }
    if (changes.active === false) {
      // Deactivation ends the user's sessions for good: reactivating the user later does not revive them.
      await uow.em.nativeUpdate(Session, { user: user.id, revokedAt: null }, { revokedAt: new Date() });
    }
    if (changes.active === false || changes.role) uow.emit(ACCESS_REVOKED, user.id, { userId: user.id });
    uow.audit({ action: 'platform.user.update', subjectType: 'User', subjectId: user.id, changes });
    return user;
  });
}

/** Issues an API key whose scopes the caller holds; returns the secret once. */
export async function createApiKey(ctx: RequestContext, input: ApiKeyCreateInput): Promise<{ apiKey: ApiKey; secret: string }> {
  await validateInput(input);
  const problems = input.scopes.flatMap((scope, index) => {
    const permission = ctx.app.registry.permissions.get(scope);
    const field = ['input', 'scopes', String(index)];
    if (!permission) return [UserError.of(field, `Unknown scope ${scope}`, UserErrorCode.INVALID)];
    if (!permission.scopable) return [UserError.of(field, `${scope} cannot be given to an API key`, UserErrorCode.NOT_ALLOWED)];
    if (!ctx.can(scope)) return [UserError.of(field, `You do not hold ${scope}, so you cannot grant it`, UserErrorCode.NOT_ALLOWED)];
    return [];
  });
  if (input.scopes.length === 0) problems.push(UserError.of(['input', 'scopes'], 'Give the key at least one scope', UserErrorCode.REQUIRED));
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    problems.push(UserError.of(['input', 'expiresAt'], 'expiresAt must be in the future'));
  }
  if (problems.length) throw new UserInputFailure(problems);
  const { prefix, secret } = newApiKeySecret();
  return ctx.transaction(async (uow) => {
    const apiKey = uow.em.create(ApiKey, {
      name: input.name.trim(), scopes: [...new Set(input.scopes)], prefix, secretHash: credentialHash(ctx.app.config.secret, secret),
      createdBy: ctx.caller.userId, expiresAt: input.expiresAt ?? undefined,
    } as any);
    uow.audit({ action: 'platform.apiKey.create', subjectType: 'ApiKey', subjectId: apiKey.id, changes: { name: apiKey.name, scopes: apiKey.scopes } });
    return { apiKey, secret };
  });
}

export async function revokeApiKey(ctx: RequestContext, globalId: string): Promise<ApiKey> {
  return ctx.transaction(async (uow) => {
    const id = tryFromGlobalId(globalId, 'ApiKey');
    const apiKey = id ? await uow.em.findOne(ApiKey, id) : null;
    if (!apiKey) throw UserInputFailure.of(['input', 'id'], 'No such API key', UserErrorCode.NOT_FOUND);
    if (apiKey.revokedAt) throw UserInputFailure.of(['input', 'id'], 'This key is already revoked', UserErrorCode.ALREADY_DONE);
    apiKey.revokedAt = new Date();
    uow.emit(ACCESS_REVOKED, apiKey.id, { apiKeyId: apiKey.id });
    uow.audit({ action: 'platform.apiKey.revoke', subjectType: 'ApiKey', subjectId: apiKey.id });
    return apiKey;
  });
}
