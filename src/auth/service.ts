import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext, type WriteTransaction } from '../context';
import { tryFromGlobalId } from '../graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput, assertVersion } from '../graphql/user-errors';
import {
  credentialHash, DUMMY_PASSWORD_HASH, hashPassword, newApiKeySecret, newPasswordResetToken, newSessionToken, sha256, verifyPassword,
} from './credentials';
import { ApiKey, LoginEmail, LoginFailure, PasswordReset, Session, User, Workspace } from './entities';
import { AppError } from '../graphql/errors';
import type {
  ApiKeyCreateInput, LoginInput, PasswordChangeInput, PasswordResetCompleteInput, SignUpInput, UserCreateInput, UserPasswordResetInput,
  UserUpdateInput, WorkspaceUpdateInput,
} from './graphql';
import { ACCESS_REVOKED, USER_CHANGED } from './events';
import type { PrincipalUser } from './principal';
import { Role } from './roles';
import { normaliseEmail } from '../kernel/text';
import { isTimeZoneName } from '../kernel/clock';


/**
 * Emails are unique across workspaces (login takes only an email), so this tells whether an address has an account
 * somewhere; it never says where: the answer is the same for an address used in the caller's workspace or another
 * (README, Identity). Callers hash the password before asking, so timing adds nothing.
 */
async function assertEmailFree(em: EntityManager, email: string, field: string[]) {
  const taken = await em.count(LoginEmail, { email }, { filters: false });
  if (taken) throw UserInputFailure.of(field, 'This email is already in use', UserErrorCode.DUPLICATE);
}

/**
 * Creates a user with its entry in the login directory (LoginEmail), whose primary key refuses an email that a
 * concurrent transaction took first. The caller checked the email with assertEmailFree.
 */
export function addUser(em: EntityManager, fields: Pick<User, 'workspace' | 'email' | 'displayName' | 'role' | 'passwordHash'>): User {
  const user = em.create(User, fields);
  em.create(LoginEmail, { email: user.email, workspace: user.workspace.id, userId: user.id });
  return user;
}

/**
 * Opens a session for the user; the rest of the response (the payload's user) is read with its rights, from the
 * commit on (the user's version and timestamps are final only then).
 */
async function openSession(ctx: RequestContext, tx: WriteTransaction, user: User): Promise<string> {
  const token = newSessionToken();
  const expiresAt = new Date(Date.now() + ctx.app.config.sessionTtlDays * 86_400_000);
  const session = tx.em.create(Session, { workspace: user.workspace, user, tokenHash: credentialHash(ctx.app.config.secret, token), expiresAt });
  tx.afterCommit(() => ctx.readAs({
    kind: 'USER', workspaceId: user.workspace.id, userId: user.id, sessionId: session.id, role: user.role,
    permissions: ctx.app.registry.permissionsOf(user.role), user: principalUserOf(user),
  }));
  return token;
}

function principalUserOf(user: User): PrincipalUser {
  const { id, email, displayName, role, active, version, createdAt, updatedAt } = user;
  return { id, email, displayName, role, active, version, createdAt, updatedAt };
}

/**
 * Emits ACCESS_REVOKED and drops the principals it concerns from this instance's cache as soon as the transaction
 * commits; the other instances drop theirs when they read the event (src/auth/principal-cache.ts).
 */
function revokeAccess(tx: WriteTransaction, subjectId: string, refs: { sessionId?: string; userId?: string; apiKeyId?: string }): void {
  tx.emit(ACCESS_REVOKED, subjectId, refs);
  tx.afterCommit(() => tx.ctx.app.principals.forget(refs));
}

/** Emits USER_CHANGED (any change of the user's record), dropping cached principals like revokeAccess. */
function userChanged(tx: WriteTransaction, userId: string): void {
  tx.emit(USER_CHANGED, userId, { userId });
  tx.afterCommit(() => tx.ctx.app.principals.forget({ userId }));
}

/** Creates a workspace with its first user, an OWNER, and signs that user in. */
export async function signUp(ctx: RequestContext, input: SignUpInput): Promise<{ token: string; user: User }> {
  await validateInput(input);
  const email = normaliseEmail(input.email);
  const workspace = new Workspace();
  workspace.name = input.workspaceName.trim();
  const passwordHash = await hashPassword(input.password);
  const system = RequestContext.forSystem(ctx.app, workspace.id);
  return system.transaction(async (tx) => {
    await assertEmailFree(tx.em, email, ['input', 'email']);
    tx.em.persist(workspace);
    const user = addUser(tx.em, { workspace, email, displayName: input.displayName.trim(), role: Role.OWNER, passwordHash });
    const token = await openSession(ctx, tx, user);
    tx.audit({ action: 'platform.workspace.create', subjectType: 'Workspace', subjectId: workspace.id, changes: { name: workspace.name, owner: email } });
    return { token, user };
  });
}

export const LOGIN_FAILURE_WINDOW_MINUTES = 15;

/** What a password attempt counts against: failures for this email from this client (hashed, see LoginFailure). */
type PasswordAttempt = Pick<LoginFailure, 'emailHash' | 'clientHash'>;

/**
 * Counts a password attempt for `email` from the request's client, before the password is checked; login and
 * passwordChange both go through it, so a password guessed through either counts against the same limits.
 * Failures are counted per (email, client address) and per client address, never per email alone: someone failing
 * on purpose for another person's email from elsewhere cannot lock that person out. After LOGIN_FAILURE_LIMIT
 * failures for one email from one client, or LOGIN_CLIENT_FAILURE_LIMIT from one client (password spraying), that
 * client's attempts are THROTTLED (right password or not) until the oldest failure leaves the window;
 * `extensions.retryAfter` says when. A caller whose password proved right deletes the attempt's failures
 * (`nativeDelete(LoginFailure, attempt)`) in the transaction of what it then does.
 */
async function countPasswordAttempt(ctx: RequestContext, email: string): Promise<PasswordAttempt> {
  const { config } = ctx.app;
  const emailHash = sha256(email);
  const clientHash = credentialHash(config.secret, ctx.clientIp ?? 'unknown');
  const windowMs = LOGIN_FAILURE_WINDOW_MINUTES * 60_000;
  // An attempt is recorded as a failure before the password is checked, and forgotten if it proves right. Attempts
  // from one client take turns under a transaction-scoped advisory lock only to count and record, so parallel
  // guesses are counted exactly like sequential ones (on every instance) while the password hashes run in parallel.
  const refused = await ctx.transaction(async ({ em }) => {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [clientHash]);
    const [window] = await em.execute<Array<{ pair: string; pair_oldest: Date | null; client: string; client_oldest: Date | null }>>(
      `select count(*) filter (where email_hash = ?) as pair, min(created_at) filter (where email_hash = ?) as pair_oldest,
              count(*) as client, min(created_at) as client_oldest
         from login_failure where client_hash = ? and created_at > ?`,
      [emailHash, emailHash, clientHash, new Date(Date.now() - windowMs)],
    );
    if (Number(window.pair) >= config.loginFailureLimit) return { throttled: 'for this email from this address', oldest: window.pair_oldest! };
    if (Number(window.client) >= config.loginClientFailureLimit) return { throttled: 'from this address', oldest: window.client_oldest! };
    em.persist(Object.assign(new LoginFailure(), { emailHash, clientHash }));
    return undefined;
  });
  if (refused) {
    const retryAfter = Math.max(1, Math.ceil((new Date(refused.oldest).getTime() + windowMs - Date.now()) / 1000));
    throw new AppError('THROTTLED', `Too many wrong passwords ${refused.throttled}; try again in ${Math.ceil(retryAfter / 60)} minutes`, { retryAfter });
  }
  return { emailHash, clientHash };
}

/** Checks email and password (a wrong pair gets one message, whichever half was wrong), throttled by countPasswordAttempt. */
export async function login(ctx: RequestContext, input: LoginInput): Promise<{ token: string; user: User }> {
  await validateInput(input);
  const email = normaliseEmail(input.email);
  const attempt = await countPasswordAttempt(ctx, email);
  // The login directory says in which workspace to look; the user is then read there.
  const entry = await ctx.em.findOne(LoginEmail, { email }, { filters: false });
  const user = entry && await ctx.em.findOne(User, { id: entry.userId, workspace: entry.workspace }, { filters: false });
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !passwordOk) throw UserInputFailure.of(['input'], 'Email or password is wrong', UserErrorCode.CREDENTIALS_INVALID);
  if (!user.active) throw UserInputFailure.of(['input'], 'This user has been deactivated', UserErrorCode.USER_DEACTIVATED);
  const system = RequestContext.forSystem(ctx.app, user.workspace.id);
  return system.transaction(async (tx) => {
    // Signing in clears this client's failures for the email (not its count across emails), this attempt's included.
    await tx.em.nativeDelete(LoginFailure, attempt);
    const scopedUser = await tx.em.findOneOrFail(User, user.id, { populate: ['workspace'] });
    return { token: await openSession(ctx, tx, scopedUser), user: scopedUser };
  });
}

/** Revokes the session the request came with. */
export async function logout(ctx: RequestContext): Promise<void> {
  const sessionId = ctx.caller.sessionId;
  if (!sessionId) throw UserInputFailure.of([], 'API keys are revoked with apiKeyRevoke, not logout', UserErrorCode.NOT_ALLOWED);
  await ctx.transaction(async (tx) => {
    await tx.em.nativeUpdate(Session, { id: sessionId }, { revokedAt: new Date() });
    revokeAccess(tx, sessionId, { sessionId });
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
  return ctx.transaction(async (tx) => {
    await assertEmailFree(tx.em, email, ['input', 'email']);
    const workspace = tx.em.getReference(Workspace, ctx.workspaceId);
    const user = addUser(tx.em, { workspace, email, displayName: input.displayName.trim(), role: input.role, passwordHash });
    tx.audit({ action: 'platform.user.create', subjectType: 'User', subjectId: user.id, changes: { email, role: input.role } });
    return user;
  });
}

/** Changes a user's name, role or active flag, refusing a stale version. */
export async function updateUser(ctx: RequestContext, input: UserUpdateInput): Promise<User> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const id = tryFromGlobalId(input.id, 'User');
    const user = id ? await tx.em.findOne(User, id) : null;
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
      await tx.em.nativeUpdate(Session, { user: user.id, revokedAt: null }, { revokedAt: new Date() });
    }
    if (changes.active === false || changes.role) revokeAccess(tx, user.id, { userId: user.id });
    if (Object.keys(changes).length) userChanged(tx, user.id);
    tx.audit({ action: 'platform.user.update', subjectType: 'User', subjectId: user.id, changes });
    return user;
  });
}

/** Issues an API key whose scopes the caller holds; returns the secret once. */
export async function createApiKey(ctx: RequestContext, input: ApiKeyCreateInput): Promise<{ apiKey: ApiKey; secret: string }> {
  await validateInput(input);
  const problems = input.scopes.flatMap((scope, index) => {
    const permission = ctx.app.registry.permissions.get(scope);
    const field = ['input', 'scopes', String(index)];
    if (!permission) return [UserError.of(field, `Unknown scope ${scope}`, UserErrorCode.SCOPE_UNKNOWN)];
    if (!permission.scopable) return [UserError.of(field, `${scope} cannot be given to an API key`, UserErrorCode.NOT_ALLOWED)];
    if (!ctx.can(scope)) return [UserError.of(field, `You do not hold ${scope}, so you cannot grant it`, UserErrorCode.NOT_ALLOWED)];
    return [];
  });
  if (input.scopes.length === 0) problems.push(UserError.of(['input', 'scopes'], 'Give the key at least one scope', UserErrorCode.REQUIRED));
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    problems.push(UserError.of(['input', 'expiresAt'], 'expiresAt must be in the future', UserErrorCode.DATE_IN_PAST));
  }
  if (problems.length) throw new UserInputFailure(problems);
  const { prefix, secret } = newApiKeySecret();
  return ctx.transaction(async (tx) => {
    const apiKey = tx.em.create(ApiKey, {
      name: input.name.trim(), scopes: [...new Set(input.scopes)], prefix, secretHash: credentialHash(ctx.app.config.secret, secret),
      createdBy: ctx.caller.userId, expiresAt: input.expiresAt ?? undefined,
    });
    tx.audit({ action: 'platform.apiKey.create', subjectType: 'ApiKey', subjectId: apiKey.id, changes: { name: apiKey.name, scopes: apiKey.scopes } });
    return { apiKey, secret };
  });
}

/**
 * Revokes a key. Only an OWNER revokes a key an OWNER issued (the creator's current role decides, as for
 * userUpdate, where only an OWNER changes an OWNER); a MANAGER revokes their own keys and those of other
 * non-owners.
 */
export async function revokeApiKey(ctx: RequestContext, globalId: string): Promise<ApiKey> {
  return ctx.transaction(async (tx) => {
    const id = tryFromGlobalId(globalId, 'ApiKey');
    const apiKey = id ? await tx.em.findOne(ApiKey, id, { populate: ['createdBy'] }) : null;
    if (!apiKey) throw UserInputFailure.of(['input', 'id'], 'No such API key', UserErrorCode.NOT_FOUND);
    if (apiKey.createdBy.role === Role.OWNER && ctx.caller.role !== Role.OWNER) {
      throw UserInputFailure.of(['input', 'id'], 'Only an OWNER can revoke a key an OWNER issued', UserErrorCode.NOT_ALLOWED);
    }
    if (apiKey.revokedAt) throw UserInputFailure.of(['input', 'id'], 'This key is already revoked', UserErrorCode.ALREADY_DONE);
    apiKey.revokedAt = new Date();
    revokeAccess(tx, apiKey.id, { apiKeyId: apiKey.id });
    tx.audit({ action: 'platform.apiKey.revoke', subjectType: 'ApiKey', subjectId: apiKey.id });
    return apiKey;
  });
}

/**
 * A zone both sides know: Intl (via luxon) for dates reckoned in code, and PostgreSQL for raw SQL's
 * `at time zone`. Their zone databases are not the same copy, so a zone only one of them knows is refused.
 */
async function isKnownTimeZone(em: EntityManager, name: string): Promise<boolean> {
  if (!isTimeZoneName(name)) return false;
  const [row] = await em.execute<{ known: boolean }[]>('select exists (select 1 from pg_timezone_names where name = ?) as known', [name]);
  return row.known;
}

/** Renames the workspace or changes its time zone (OWNER), refusing a stale version. */
export async function updateWorkspace(ctx: RequestContext, input: WorkspaceUpdateInput): Promise<Workspace> {
  await validateInput(input);
  const name = input.name?.trim();
  if (name === '') throw UserInputFailure.of(['input', 'name'], 'name must not be empty', UserErrorCode.REQUIRED);
  if (input.timeZone != null && !(await isKnownTimeZone(ctx.em, input.timeZone))) {
    throw UserInputFailure.of(['input', 'timeZone'], `${input.timeZone} is not an IANA time zone name such as Asia/Shanghai`, UserErrorCode.TIME_ZONE_INVALID);
  }
  return ctx.transaction(async (tx) => {
    const workspace = await tx.em.findOneOrFail(Workspace, ctx.workspaceId);
    assertVersion(workspace, input.version, 'workspace');
    const changes: Record<string, unknown> = {};
    if (name && name !== workspace.name) workspace.name = changes.name = name;
    if (input.timeZone != null && input.timeZone !== workspace.timeZone) workspace.timeZone = changes.timeZone = input.timeZone;
    if (Object.keys(changes).length) tx.audit({ action: 'platform.workspace.update', subjectType: 'Workspace', subjectId: workspace.id, changes });
    return workspace;
  });
}

/**
 * Revokes the user's live sessions, all but `keepSessionId`, and tells every instance to close their WebSocket
 * connections (one event per session, so the connections of the session kept and of the user's API keys stay open).
 */
async function revokeSessions(tx: WriteTransaction, userId: string, keepSessionId?: string): Promise<number> {
  const revoked = await tx.em.execute<{ id: string }[]>(
    `update session set revoked_at = ? where user_id = ? and revoked_at is null and id <> ? returning id`,
    [new Date(), userId, keepSessionId ?? '00000000-0000-0000-0000-000000000000'],
  );
  for (const { id } of revoked) revokeAccess(tx, id, { sessionId: id });
  return revoked.length;
}

/**
 * The signed-in user changes their password: the current one is checked (counted and throttled like a login, so a
 * stolen session cannot be used to guess it), every other session of the user is revoked and the calling one kept,
 * so the person changing it stays signed in here and whoever else held a session is out. API keys are untouched:
 * they are revoked on their own.
 */
export async function changePassword(ctx: RequestContext, input: PasswordChangeInput): Promise<{ user: User; revokedSessionCount: number }> {
  await validateInput(input);
  const { sessionId, userId } = ctx.caller;
  if (!sessionId) throw UserInputFailure.of([], 'An API key has no password: sign in as the user to change it', UserErrorCode.NOT_ALLOWED);
  const user = await ctx.em.findOneOrFail(User, userId);
  const attempt = await countPasswordAttempt(ctx, user.email);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw UserInputFailure.of(['input', 'currentPassword'], 'The current password is wrong', UserErrorCode.CREDENTIALS_INVALID);
  }
  const passwordHash = await hashPassword(input.newPassword);
  return ctx.transaction(async (tx) => {
    await tx.em.nativeDelete(LoginFailure, attempt);
    // A native update: the hash is not part of the user record others edit, so it does not move the user's version.
    await tx.em.nativeUpdate(User, { id: userId }, { passwordHash });
    const revokedSessionCount = await revokeSessions(tx, userId, sessionId);
    tx.audit({ action: 'platform.user.passwordChange', subjectType: 'User', subjectId: userId, changes: { revokedSessions: revokedSessionCount } });
    return { user, revokedSessionCount };
  });
}

/**
 * An OWNER (or a MANAGER, for a user who is not an OWNER: the rule of userUpdate) resets a user's password. There is
 * no email to send a link by, so the answer carries a one-time token, shown once, that the user redeems with
 * passwordResetComplete before it expires. The user's sessions are revoked, an older unredeemed reset is void, and
 * the old password stops working at once: a reset after a leak must not leave the leaked password usable.
 */
export async function resetPassword(ctx: RequestContext, input: UserPasswordResetInput): Promise<{ user: User; resetToken: string; expiresAt: Date }> {
  const resetToken = newPasswordResetToken();
  // A hash of a random password nobody knows, rather than a marker that matches nothing: a login attempt then costs
  // the same scrypt as for any user, so timing does not tell that the account is being reset.
  const unknownPasswordHash = await hashPassword(randomBytes(32).toString('base64url'));
  return ctx.transaction(async (tx) => {
    const id = tryFromGlobalId(input.userId, 'User');
    const user = id ? await tx.em.findOne(User, id) : null;
    if (!user) throw UserInputFailure.of(['input', 'userId'], 'No such user', UserErrorCode.NOT_FOUND);
    if (user.id === ctx.caller.userId) {
      throw UserInputFailure.of(['input', 'userId'], 'Change your own password with passwordChange', UserErrorCode.NOT_ALLOWED);
    }
    if (user.role === Role.OWNER && ctx.caller.role !== Role.OWNER) {
      throw UserInputFailure.of(['input', 'userId'], "Only an OWNER can reset an OWNER's password", UserErrorCode.NOT_ALLOWED);
    }
    const now = new Date();
    await tx.em.nativeUpdate(PasswordReset, { user: user.id, usedAt: null }, { usedAt: now });
    await tx.em.nativeUpdate(User, { id: user.id }, { passwordHash: unknownPasswordHash });
    const expiresAt = new Date(now.getTime() + ctx.app.config.passwordResetTtlHours * 3_600_000);
    tx.em.create(PasswordReset, { user, tokenHash: credentialHash(ctx.app.config.secret, resetToken), expiresAt });
    const revokedSessions = await revokeSessions(tx, user.id);
    tx.audit({ action: 'platform.user.passwordReset', subjectType: 'User', subjectId: user.id, changes: { expiresAt: expiresAt.toISOString(), revokedSessions } });
    return { user, resetToken, expiresAt };
  });
}

/** The user redeems a reset token with a new password, once and before it expires, and is signed in. */
export async function completePasswordReset(ctx: RequestContext, input: PasswordResetCompleteInput): Promise<{ token: string; user: User }> {
  await validateInput(input);
  const invalid = () => UserInputFailure.of(['input', 'token'], 'This reset token is unknown, already used or expired: ask for a new reset', UserErrorCode.RESET_TOKEN_INVALID);
  // Looked up across workspaces, like a session token: the token is how we learn the workspace.
  const reset = await ctx.em.findOne(PasswordReset, { tokenHash: credentialHash(ctx.app.config.secret, input.token) }, { filters: false });
  if (!reset || reset.usedAt || reset.expiresAt <= new Date()) throw invalid();
  const passwordHash = await hashPassword(input.newPassword);
  return RequestContext.forSystem(ctx.app, reset.workspace.id).transaction(async (tx) => {
    // Redeemed once: of two redemptions at the same moment only one finds the row still unused.
    const claimed = await tx.em.nativeUpdate(PasswordReset, { id: reset.id, usedAt: null, expiresAt: { $gt: new Date() } }, { usedAt: new Date() });
    if (!claimed) throw invalid();
    const user = await tx.em.findOneOrFail(User, reset.user.id, { populate: ['workspace'] });
    if (!user.active) throw UserInputFailure.of(['input', 'token'], 'This user has been deactivated', UserErrorCode.USER_DEACTIVATED);
    await tx.em.nativeUpdate(User, { id: user.id }, { passwordHash });
    tx.audit({ action: 'platform.user.passwordResetComplete', subjectType: 'User', subjectId: user.id });
    return { token: await openSession(ctx, tx, user), user };
  });
}
