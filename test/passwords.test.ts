import { adminQuery } from './support/database';
import { dataOf, errorCode, gql, subscribe } from './support/client';
import { createApiKey, createUserWithRole, PASSWORD, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

// Each test hashes a dozen passwords (scrypt, deliberately slow): room for a contended machine.
jest.setTimeout(90_000);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const ME = `{ me { id } }`;
const AUDIT_STREAM = `subscription { auditEntryAdded { entry { action } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`;
const PASSWORD_CHANGE = `mutation($input: PasswordChangeInput!) {
  passwordChange(input: $input) { user { id } revokedSessionCount userErrors { field message code } } }`;
const RESET = `mutation($input: UserPasswordResetInput!) {
  userPasswordReset(input: $input) { user { id } resetToken expiresAt userErrors { field message code } } }`;
const COMPLETE = `mutation($input: PasswordResetCompleteInput!) {
  passwordResetComplete(input: $input) { token user { id workspace { name } } userErrors { field message code } } }`;

const login = async (email: string, password: string) => dataOf(await gql(server.url, LOGIN, { input: { email, password } })).login;
const isSignedIn = async (token: string) => (await gql(server.url, ME, {}, token)).status === 200;

/** The close code of a WebSocket connection, or 'still open' after a few seconds. */
async function closeCode(stream: { closed: Promise<{ code: number }> }): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([stream.closed.then((c) => c.code), new Promise<string>((r) => (timer = setTimeout(() => r('still open'), 5000)))]);
  clearTimeout(timer);
  return outcome;
}

/** A subscription that has started, so that its connection is authenticated and registered. */
async function openStream(token: string) {
  const stream = subscribe(server.wsUrl, AUDIT_STREAM, token);
  await new Promise((r) => setTimeout(r, 300));
  return stream;
}

async function auditActions(ownerToken: string, subjectId: string): Promise<string[]> {
  const audit = dataOf(await gql(server.url, `query($id: ID!) { auditLog(subjectId: $id) { nodes { action } } }`, { id: subjectId }, ownerToken));
  return audit.auditLog.nodes.map((n: any) => n.action);
}

describe('passwordChange', () => {
  it('checks the current password, signs out the other sessions (HTTP and WebSocket), keeps this one, and is audited', async () => {
    const owner = await signUpWorkspace(server.url);
    const laptop = (await login(owner.email, PASSWORD)).token;
    const laptopStream = await openStream(laptop);
    const phoneStream = await openStream(owner.token);
    try {
      const wrong = dataOf(await gql(server.url, PASSWORD_CHANGE, { input: { currentPassword: 'not-my-password', newPassword: 'a-new-password' } }, owner.token)).passwordChange;
      expect(wrong).toEqual({ user: null, revokedSessionCount: null, userErrors: [expect.objectContaining({ field: ['input', 'currentPassword'], code: 'CREDENTIALS_INVALID' })] });
      const short = dataOf(await gql(server.url, PASSWORD_CHANGE, { input: { currentPassword: PASSWORD, newPassword: 'short' } }, owner.token)).passwordChange;
      expect(short.userErrors).toEqual([expect.objectContaining({ field: ['input', 'newPassword'], code: 'TOO_SHORT' })]);
      // refused attempts changed nothing
      expect(await isSignedIn(laptop)).toBe(true);
      expect((await login(owner.email, PASSWORD)).token).toMatch(/^st_/);

      const changed = dataOf(await gql(server.url, PASSWORD_CHANGE, { input: { currentPassword: PASSWORD, newPassword: 'a-new-password' } }, owner.token)).passwordChange;
      // the laptop session and the one the login check above opened
      expect(changed).toEqual({ user: { id: owner.userId }, revokedSessionCount: 2, userErrors: [] });
      expect(await isSignedIn(owner.token)).toBe(true);
      const old = await gql(server.url, ME, {}, laptop);
      expect([old.status, errorCode(old)]).toEqual([401, 'UNAUTHENTICATED']);
      expect(await closeCode(laptopStream)).toBe(4401);
      expect(await closeCode(phoneStream)).toBe('still open');

      expect((await login(owner.email, PASSWORD)).userErrors).toEqual([{ code: 'CREDENTIALS_INVALID' }]);
      expect((await login(owner.email, 'a-new-password')).token).toMatch(/^st_/);
      expect(await auditActions(owner.token, owner.userId)).toContain('platform.user.passwordChange');
      const stored = await adminQuery(`select password_hash from "user" where email = $1`, server.databaseName, [owner.email]);
      expect(stored.rows[0].password_hash).toMatch(/^scrypt\$/);
    } finally {
      await Promise.all([laptopStream.close(), phoneStream.close()]);
    }
  });

  it('is throttled like login: after 10 wrong current passwords even the right one is THROTTLED', async () => {
    const owner = await signUpWorkspace(server.url);
    const storedHash = async () => (await adminQuery(`select password_hash from "user" where email = $1`, server.databaseName, [owner.email])).rows[0].password_hash;
    const before = await storedHash();
    for (let i = 0; i < 10; i++) {
      const wrong = dataOf(await gql(server.url, PASSWORD_CHANGE, { input: { currentPassword: `guess-${i}`, newPassword: 'a-new-password' } }, owner.token));
      expect(wrong.passwordChange.userErrors[0].code).toBe('CREDENTIALS_INVALID');
    }
    const throttled = await gql(server.url, PASSWORD_CHANGE, { input: { currentPassword: PASSWORD, newPassword: 'a-new-password' } }, owner.token);
    expect(errorCode(throttled)).toBe('THROTTLED');
    expect(throttled.errors![0].extensions!.retryAfter).toBeGreaterThan(0);
    expect(await storedHash()).toBe(before);
    // the same counters as login's: this client's logins for the email are throttled too
    expect(errorCode(await gql(server.url, LOGIN, { input: { email: owner.email, password: PASSWORD } }))).toBe('THROTTLED');
    expect(await isSignedIn(owner.token)).toBe(true);
  });

  it('is refused to API keys, which have no password', async () => {
    const owner = await signUpWorkspace(server.url);
    const key = await createApiKey(server.url, owner.token, ['users:read']);
    const result = dataOf(await gql(server.url, PASSWORD_CHANGE, { input: { currentPassword: PASSWORD, newPassword: 'a-new-password' } }, key.secret)).passwordChange;
    expect(result.userErrors).toEqual([expect.objectContaining({ code: 'NOT_ALLOWED' })]);
    expect((await login(owner.email, PASSWORD)).token).toMatch(/^st_/);
  });
});

describe('userPasswordReset and passwordResetComplete', () => {
  it('an OWNER resets a user: sessions end (HTTP and WebSocket), the old password stops working, the token sets a new one once', async () => {
    const owner = await signUpWorkspace(server.url, '重置小店');
    const manager = await createUserWithRole(server.url, owner.token, 'MANAGER');
    const stream = await openStream(manager.token);
    const ownerStream = await openStream(owner.token);
    try {
      const reset = dataOf(await gql(server.url, RESET, { input: { userId: manager.userId } }, owner.token)).userPasswordReset;
      expect(reset).toMatchObject({ user: { id: manager.userId }, resetToken: expect.stringMatching(/^pr_/), userErrors: [] });
      const hoursLeft = (new Date(reset.expiresAt).getTime() - Date.now()) / 3_600_000;
      expect(hoursLeft).toBeGreaterThan(23.9);
      expect(hoursLeft).toBeLessThanOrEqual(24);

      const old = await gql(server.url, ME, {}, manager.token);
      expect([old.status, errorCode(old)]).toEqual([401, 'UNAUTHENTICATED']);
      expect(await closeCode(stream)).toBe(4401);
      expect(await closeCode(ownerStream)).toBe('still open');
      expect((await login(manager.email, PASSWORD)).userErrors).toEqual([{ code: 'CREDENTIALS_INVALID' }]);
      // stored hashed, like session tokens
      const rows = (await adminQuery(`select token_hash from password_reset`, server.databaseName)).rows.map((r) => r.token_hash);
      expect(rows.some((hash) => reset.resetToken.includes(hash) || hash.includes(reset.resetToken))).toBe(false);

      const short = dataOf(await gql(server.url, COMPLETE, { input: { token: reset.resetToken, newPassword: 'short' } })).passwordResetComplete;
      expect(short.userErrors).toEqual([expect.objectContaining({ field: ['input', 'newPassword'], code: 'TOO_SHORT' })]);
      const done = dataOf(await gql(server.url, COMPLETE, { input: { token: reset.resetToken, newPassword: 'manager-new-pass' } })).passwordResetComplete;
      expect(done).toMatchObject({ token: expect.stringMatching(/^st_/), user: { id: manager.userId, workspace: { name: '重置小店' } }, userErrors: [] });
      expect(await isSignedIn(done.token)).toBe(true);
      expect((await login(manager.email, 'manager-new-pass')).token).toMatch(/^st_/);

      const again = dataOf(await gql(server.url, COMPLETE, { input: { token: reset.resetToken, newPassword: 'another-password' } })).passwordResetComplete;
      expect(again).toMatchObject({ token: null, userErrors: [expect.objectContaining({ field: ['input', 'token'], code: 'RESET_TOKEN_INVALID' })] });
      expect(await auditActions(owner.token, manager.userId)).toEqual(expect.arrayContaining(['platform.user.passwordReset', 'platform.user.passwordResetComplete']));
    } finally {
      await Promise.all([stream.close(), ownerStream.close()]);
    }
  });

  it('refuses an expired token, a token replaced by a newer reset, and an unknown one', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const first = dataOf(await gql(server.url, RESET, { input: { userId: agent.userId } }, owner.token)).userPasswordReset.resetToken;
    const second = dataOf(await gql(server.url, RESET, { input: { userId: agent.userId } }, owner.token)).userPasswordReset.resetToken;
    const redeem = async (token: string) => dataOf(await gql(server.url, COMPLETE, { input: { token, newPassword: 'agent-new-pass' } })).passwordResetComplete;
    for (const token of [first, 'pr_unknown-token', '']) {
      expect((await redeem(token)).userErrors).toEqual([expect.objectContaining({ field: ['input', 'token'], code: 'RESET_TOKEN_INVALID' })]);
    }
    await adminQuery(`update password_reset set expires_at = now() - interval '1 second' where used_at is null`, server.databaseName);
    expect((await redeem(second)).userErrors).toEqual([expect.objectContaining({ code: 'RESET_TOKEN_INVALID' })]);
    expect((await login(agent.email, 'agent-new-pass')).userErrors).toEqual([{ code: 'CREDENTIALS_INVALID' }]);
  });

  it('is for an OWNER, or a MANAGER for users who are not OWNERs; not for oneself, other roles, or another workspace', async () => {
    const owner = await signUpWorkspace(server.url);
    const secondOwner = await createUserWithRole(server.url, owner.token, 'OWNER');
    const manager = await createUserWithRole(server.url, owner.token, 'MANAGER');
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const reset = async (userId: string, token: string) => dataOf(await gql(server.url, RESET, { input: { userId } }, token)).userPasswordReset;

    expect((await reset(secondOwner.userId, manager.token)).userErrors).toEqual([expect.objectContaining({ field: ['input', 'userId'], code: 'NOT_ALLOWED' })]);
    expect((await reset(manager.userId, manager.token)).userErrors).toEqual([expect.objectContaining({ field: ['input', 'userId'], code: 'NOT_ALLOWED' })]);
    expect(await isSignedIn(secondOwner.token)).toBe(true);
    expect(errorCode(await gql(server.url, RESET, { input: { userId: manager.userId } }, agent.token))).toBe('FORBIDDEN');
    const elsewhere = await signUpWorkspace(server.url);
    expect((await reset(agent.userId, elsewhere.token)).userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    expect(await isSignedIn(agent.token)).toBe(true);

    expect((await reset(agent.userId, manager.token)).resetToken).toMatch(/^pr_/);
    expect((await reset(secondOwner.userId, owner.token)).resetToken).toMatch(/^pr_/);
    expect(await isSignedIn(secondOwner.token)).toBe(false);
  });
});
