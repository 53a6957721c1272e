import { dataOf, errorCode, gql } from './support/client';
import { createApiKey, createUserWithRole, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * Tenant isolation: every operation that takes an id treats another workspace's id exactly like an id that does
 * not exist, and lists only show the caller's workspace.
 */
let server: TestServer;
let shopA: SignedUp;
let shopB: SignedUp;
let keyOfB: { id: string; secret: string };
let agentOfB: { userId: string };

beforeAll(async () => {
  server = await startTestServer();
  shopA = await signUpWorkspace(server.url, '甲店');
  shopB = await signUpWorkspace(server.url, '乙店');
  keyOfB = await createApiKey(server.url, shopB.token, ['users:read']);
  agentOfB = await createUserWithRole(server.url, shopB.token, 'AGENT');
});
afterAll(async () => {
  await server?.stop();
});

const NODE = `query($id: ID!) { node(id: $id) { id __typename ... on User { email } } }`;

it('node(id) returns null for another workspace\'s user, key and workspace, as for an unknown id', async () => {
  for (const id of [shopB.userId, keyOfB.id, shopB.workspaceId, agentOfB.userId]) {
    expect(dataOf(await gql(server.url, NODE, { id }, shopA.token)).node).toBeNull();
  }
  expect(dataOf(await gql(server.url, NODE, { id: Buffer.from('User:00000000-0000-4000-8000-000000000000').toString('base64url') }, shopA.token)).node).toBeNull();
  expect(dataOf(await gql(server.url, NODE, { id: 'not-an-id' }, shopA.token)).node).toBeNull();
  // the same ids work in their own workspace
  expect(dataOf(await gql(server.url, NODE, { id: agentOfB.userId }, shopB.token)).node).toMatchObject({ id: agentOfB.userId, __typename: 'User' });
});

it('node(id) checks the permission of the node type', async () => {
  const agent = await createUserWithRole(server.url, shopA.token, 'AGENT');
  const key = await createApiKey(server.url, shopA.token, ['users:read']);
  expect(errorCode(await gql(server.url, NODE, { id: key.id }, agent.token))).toBe('FORBIDDEN');
  expect(dataOf(await gql(server.url, NODE, { id: key.id }, shopA.token)).node.__typename).toBe('ApiKey');
});

it('refuses to revoke another workspace\'s key (NOT_FOUND) and the key keeps working', async () => {
  const revoke = `mutation($id: ID!) { apiKeyRevoke(input: { id: $id }) { apiKey { id } userErrors { field code } } }`;
  const result = dataOf(await gql(server.url, revoke, { id: keyOfB.id }, shopA.token));
  expect(result.apiKeyRevoke).toEqual({ apiKey: null, userErrors: [{ field: ['input', 'id'], code: 'NOT_FOUND' }] });
  expect(errorCode(await gql(server.url, `{ users { totalCount } }`, {}, keyOfB.secret))).toBeUndefined();
  // an id of the wrong type is NOT_FOUND too
  const wrongType = dataOf(await gql(server.url, revoke, { id: shopA.userId }, shopA.token));
  expect(wrongType.apiKeyRevoke.userErrors).toEqual([{ field: ['input', 'id'], code: 'NOT_FOUND' }]);
});

it('refuses to update another workspace\'s user (NOT_FOUND), leaving it unchanged', async () => {
  const update = `mutation($input: UserUpdateInput!) { userUpdate(input: $input) { user { id } userErrors { field code } } }`;
  const result = dataOf(await gql(server.url, update, { input: { id: agentOfB.userId, version: 1, displayName: '被改了' } }, shopA.token));
  expect(result.userUpdate.userErrors).toEqual([{ field: ['input', 'id'], code: 'NOT_FOUND' }]);
  const seenByB = dataOf(await gql(server.url, NODE.replace('{ email }', '{ email displayName }'), { id: agentOfB.userId }, shopB.token));
  expect(seenByB.node.displayName).toBe('AGENT');
});

it('lists only the caller\'s workspace: users, API keys, audit log, workspace', async () => {
  const users = dataOf(await gql(server.url, `{ users(first: 100) { totalCount nodes { id } } }`, {}, shopA.token)).users;
  expect(users.nodes.map((u: { id: string }) => u.id)).not.toContain(shopB.userId);
  const keys = dataOf(await gql(server.url, `{ apiKeys(first: 100) { nodes { id } } }`, {}, shopA.token)).apiKeys;
  expect(keys.nodes.map((k: { id: string }) => k.id)).not.toContain(keyOfB.id);
  const audit = dataOf(await gql(server.url, `query($s: ID) { auditLog(first: 100, subjectId: $s) { totalCount } }`, { s: keyOfB.id }, shopA.token));
  expect(audit.auditLog.totalCount).toBe(0);
  expect(dataOf(await gql(server.url, `query($s: ID) { auditLog(subjectId: $s) { totalCount } }`, { s: keyOfB.id }, shopB.token)).auditLog.totalCount).toBe(1);
  expect(dataOf(await gql(server.url, `{ workspace { id name } }`, {}, shopA.token)).workspace).toEqual({ id: shopA.workspaceId, name: '甲店' });
});
