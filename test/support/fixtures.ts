import { randomBytes } from 'node:crypto';
import { dataOf, gql } from './client';

export const PASSWORD = 'correct-horse-battery';

export interface SignedUp {
  token: string;
  userId: string;
  workspaceId: string;
  email: string;
}

/** Signs up a new workspace through the API; returns the owner's session token and ids. */
export async function signUpWorkspace(url: string, name = '测试小店'): Promise<SignedUp> {
  const email = `owner-${randomBytes(4).toString('hex')}@shop.example`;
  const data = dataOf(
    await gql(url, `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id workspace { id } } userErrors { code message } } }`, {
      input: { workspaceName: name, email, password: PASSWORD, displayName: '店主' },
    }),
  );
  if (data.signUp.userErrors.length) throw new Error(JSON.stringify(data.signUp.userErrors));
  return { token: data.signUp.token, userId: data.signUp.user.id, workspaceId: data.signUp.user.workspace.id, email };
}

/** Creates a user with a role in the owner's workspace and logs them in. */
export async function createUserWithRole(url: string, ownerToken: string, role: string): Promise<{ token: string; userId: string; email: string }> {
  const email = `${role.toLowerCase()}-${randomBytes(4).toString('hex')}@shop.example`;
  const created = dataOf(
    await gql(url, `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { code message } } }`, {
      input: { email, password: PASSWORD, displayName: role, role },
    }, ownerToken),
  );
  if (created.userCreate.userErrors.length) throw new Error(JSON.stringify(created.userCreate.userErrors));
  const login = dataOf(
    await gql(url, `mutation($input: LoginInput!) { login(input: $input) { token } }`, { input: { email, password: PASSWORD } }),
  );
  return { token: login.login.token, userId: created.userCreate.user.id, email };
}

/** Issues an API key with scopes as the given user. */
export async function createApiKey(url: string, token: string, scopes: string[], expiresAt?: string): Promise<{ id: string; secret: string }> {
  const data = dataOf(
    await gql(url, `mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) { apiKey { id } secret userErrors { code message field } } }`, {
      input: { name: 'partner', scopes, expiresAt },
    }, token),
  );
  if (data.apiKeyCreate.userErrors.length) throw new Error(JSON.stringify(data.apiKeyCreate.userErrors));
  return { id: data.apiKeyCreate.apiKey.id, secret: data.apiKeyCreate.secret };
}

/**
 * The date `days` from today in a new workspace's time zone (Asia/Shanghai): a UTC date is yesterday there from
 * 16:00 UTC, and a follow-up "due today" given as the UTC date would be due before it happened.
 */
export function workspaceDate(days = 0, instant = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant + days * 86_400_000));
}
