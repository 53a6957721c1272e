import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EVENTS_LISTENER_NAME } from '../src/kernel/events';
import { dataOf, gql, subscribe } from './support/client';
import { adminQuery, waitForEventListeners } from './support/database';
import { createUserWithRole, PASSWORD, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/** Two server instances on one database: live updates travel between them through PostgreSQL NOTIFY. */
let instanceA: TestServer;
let instanceB: TestServer;
let shop: SignedUp;

beforeAll(async () => {
  instanceA = await startTestServer();
  instanceB = await startTestServer({ database: { url: instanceA.databaseUrl, name: instanceA.databaseName } });
  shop = await signUpWorkspace(instanceA.url, '跨实例小店');
});
afterAll(async () => {
  await instanceB?.stop();
  await instanceA?.stop();
});

const AUDIT_STREAM = `subscription { auditEntryAdded { id action subjectType subjectId actorKind actor { id } changes } }`;
const USER_CREATE = `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { code } } }`;

it('delivers an audit entry committed on instance A to a subscriber on instance B', async () => {
  const stream = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
  try {
    await new Promise((r) => setTimeout(r, 300)); // let the subscription start
    const created = dataOf(await gql(instanceA.url, USER_CREATE, { input: { email: 'live@shop.example', password: PASSWORD, displayName: '小李', role: 'AGENT' } }, shop.token));
    const event = await stream.next();
    expect(event.errors).toBeUndefined();
    expect(event.data.auditEntryAdded).toMatchObject({
      action: 'platform.user.create',
      subjectType: 'User',
      subjectId: created.userCreate.user.id,
      actorKind: 'USER',
      actor: { id: shop.userId },
      changes: { email: 'live@shop.example', role: 'AGENT' },
    });
  } finally {
    await stream.close();
  }
});

it('sends nothing for a mutation that failed and rolled back, and nothing from other workspaces', async () => {
  const other = await signUpWorkspace(instanceA.url, '别的店');
  const stream = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const duplicate = dataOf(await gql(instanceA.url, USER_CREATE, { input: { email: 'live@shop.example', password: PASSWORD, displayName: 'x', role: 'AGENT' } }, shop.token));
    expect(duplicate.userCreate.userErrors).toEqual([{ code: 'DUPLICATE' }]);
    dataOf(await gql(instanceA.url, USER_CREATE, { input: { email: 'elsewhere@shop.example', password: PASSWORD, displayName: 'x', role: 'AGENT' } }, other.token));
    dataOf(await gql(instanceA.url, USER_CREATE, { input: { email: 'second@shop.example', password: PASSWORD, displayName: 'x', role: 'AGENT' } }, shop.token));
    // the first event to arrive is the successful create in our workspace
    const event = await stream.next();
    expect(event.data.auditEntryAdded.changes.email).toBe('second@shop.example');
  } finally {
    await stream.close();
  }
});

it('resolves each event afresh: a subscription does not serve what it read for an earlier event', async () => {
  const owner = await signUpWorkspace(instanceA.url, '新鲜度小店');
  const stream = subscribe(instanceB.wsUrl, `subscription { auditEntryAdded { action actor { displayName } } }`, owner.token);
  const rename = `mutation($input: UserUpdateInput!) { userUpdate(input: $input) { userErrors { code } } }`;
  try {
    await new Promise((r) => setTimeout(r, 300));
    dataOf(await gql(instanceA.url, rename, { input: { id: owner.userId, version: 1, displayName: '老名字' } }, owner.token));
    expect((await stream.next()).data.auditEntryAdded.actor.displayName).toBe('老名字');
    dataOf(await gql(instanceA.url, rename, { input: { id: owner.userId, version: 2, displayName: '新名字' } }, owner.token));
    expect((await stream.next()).data.auditEntryAdded.actor.displayName).toBe('新名字');
  } finally {
    await stream.close();
  }
});

it('tells open subscriptions EVENTS_INTERRUPTED when the listening connection drops, refuses new ones until it is back, then delivers again', async () => {
  const stream = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
  const db = instanceA.databaseName;
  try {
    await new Promise((r) => setTimeout(r, 300));
    // The listeners (instance A's and B's) lose their connections and cannot reconnect: no new connections are
    // allowed. The connections already in the ORM pools stay, so requests are still authenticated.
    await adminQuery(`alter database ${db} allow_connections false`);
    try {
      const terminated = await adminQuery(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = $2 and query = 'LISTEN domain_events'`,
        'postgres',
        [db, EVENTS_LISTENER_NAME],
      );
      expect(terminated.rowCount).toBe(2);
      const told = await stream.next();
      expect(told.errors?.[0]).toMatchObject({ message: expect.stringContaining('subscribe again, then refetch'), extensions: { code: 'EVENTS_INTERRUPTED' } });
      const meanwhile = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
      expect((await meanwhile.next()).errors?.[0]?.extensions?.code).toBe('EVENTS_INTERRUPTED');
      await meanwhile.close();
    } finally {
      await adminQuery(`alter database ${db} allow_connections true`);
    }
  } finally {
    await stream.close();
  }

  await waitForEventListeners(db, 2);
  const again = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
  try {
    await new Promise((r) => setTimeout(r, 300));
    dataOf(await gql(instanceA.url, USER_CREATE, { input: { email: 'after-outage@shop.example', password: PASSWORD, displayName: 'x', role: 'AGENT' } }, shop.token));
    expect((await again.next()).data.auditEntryAdded.changes.email).toBe('after-outage@shop.example');
  } finally {
    await again.close();
  }
});

describe('WebSocket authentication', () => {
  it('closes the connection for a bad token', async () => {
    const stream = subscribe(instanceB.wsUrl, AUDIT_STREAM, 'st_forged-token');
    const closed = await stream.closed;
    expect(closed.code).toBe(4401);
    await stream.close();
  });

  it('refuses an anonymous subscription with UNAUTHENTICATED and a role without audit:read with FORBIDDEN', async () => {
    const anonymous = subscribe(instanceB.wsUrl, AUDIT_STREAM);
    expect((await anonymous.next()).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await anonymous.close();
    const agent = await createUserWithRole(instanceA.url, shop.token, 'AGENT');
    const forbidden = subscribe(instanceB.wsUrl, AUDIT_STREAM, agent.token);
    expect((await forbidden.next()).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await forbidden.close();
  });

  it('closes, on every instance, the connections of a revoked key, a logged-out session and a deactivated user', async () => {
    const key = dataOf(await gql(instanceA.url, `mutation { apiKeyCreate(input: { name: "siem", scopes: ["audit:read"] }) { secret apiKey { id } } }`, {}, shop.token)).apiKeyCreate;
    const manager = await createUserWithRole(instanceA.url, shop.token, 'MANAGER');
    const session = dataOf(await gql(instanceA.url, `mutation($input: LoginInput!) { login(input: $input) { token } }`, { input: { email: shop.email, password: PASSWORD } })).login.token;
    const viaKey = subscribe(instanceB.wsUrl, AUDIT_STREAM, key.secret);
    const viaSession = subscribe(instanceB.wsUrl, AUDIT_STREAM, session);
    const viaManager = subscribe(instanceB.wsUrl, AUDIT_STREAM, manager.token);
    const untouched = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
    try {
      await new Promise((r) => setTimeout(r, 300));
      dataOf(await gql(instanceA.url, `mutation($id: ID!) { apiKeyRevoke(input: { id: $id }) { userErrors { code } } }`, { id: key.apiKey.id }, shop.token));
      expect((await viaKey.closed).code).toBe(4401);
      dataOf(await gql(instanceA.url, `mutation { logout { revoked } }`, {}, session));
      expect((await viaSession.closed).code).toBe(4401);
      dataOf(await gql(instanceA.url, `mutation($input: UserUpdateInput!) { userUpdate(input: $input) { userErrors { code } } }`, { input: { id: manager.userId, version: 1, active: false } }, shop.token));
      expect((await viaManager.closed).code).toBe(4401);
      // the owner's own connection still receives events (here: the audit entries of those changes)
      expect((await untouched.next()).data.auditEntryAdded.action).toBe('platform.apiKey.revoke');
    } finally {
      await Promise.all([viaKey, viaSession, viaManager, untouched].map((s) => s.close()));
    }
  });

  it('checks the credential again for every operation on an open connection: an expired key is refused', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const key = dataOf(await gql(instanceA.url, `mutation($e: DateTime) { apiKeyCreate(input: { name: "short", scopes: ["users:read"], expiresAt: $e }) { secret } }`, { e: expiresAt }, shop.token)).apiKeyCreate.secret;
    const client = createClient({ url: instanceB.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined });
    const run = () => new Promise<any>((resolve) => {
      let result: any;
      client.subscribe({ query: '{ users { totalCount } }' }, { next: (value) => (result = value), error: (error) => resolve({ error }), complete: () => resolve(result) });
    });
    try {
      expect((await run()).data.users.totalCount).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 2000));
      const refused = await run();
      // the operation is refused and the connection closed with 4401, whichever reaches the client first
      const outcome = refused.error?.code ?? refused.error?.[0]?.extensions?.code ?? refused.errors?.[0]?.extensions?.code;
      expect([4401, 'UNAUTHENTICATED']).toContain(outcome);
    } finally {
      await client.dispose();
    }
  });

  it('closes connections whose credential expired, without any operation (the periodic sweep)', async () => {
    const sweeping = await startTestServer({ database: { url: instanceA.databaseUrl, name: instanceA.databaseName }, env: { WS_REAUTH_SECONDS: '1' } });
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const key = dataOf(await gql(instanceA.url, `mutation($e: DateTime) { apiKeyCreate(input: { name: "short", scopes: ["audit:read"], expiresAt: $e }) { secret } }`, { e: expiresAt }, shop.token)).apiKeyCreate.secret;
    const stream = subscribe(sweeping.wsUrl, AUDIT_STREAM, key);
    try {
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([stream.closed, new Promise((r) => (timer = setTimeout(() => r('still open'), 6000)))]);
      clearTimeout(timer);
      expect(closed).toMatchObject({ code: 4401 });
    } finally {
      await stream.close();
      await sweeping.stop();
    }
  });

  it('accepts an API key with audit:read over WebSocket', async () => {
    // users:read too: the stream shows the actor and a new user's email (test/read-access.test.ts)
    const key = dataOf(await gql(instanceA.url, `mutation { apiKeyCreate(input: { name: "siem", scopes: ["audit:read", "users:read"] }) { secret } }`, {}, shop.token)).apiKeyCreate.secret;
    const stream = subscribe(instanceB.wsUrl, AUDIT_STREAM, key);
    try {
      await new Promise((r) => setTimeout(r, 300));
      dataOf(await gql(instanceA.url, USER_CREATE, { input: { email: 'via-key@shop.example', password: PASSWORD, displayName: 'x', role: 'ANALYST' } }, shop.token));
      expect((await stream.next()).data.auditEntryAdded.changes.email).toBe('via-key@shop.example');
    } finally {
      await stream.close();
    }
  });
});
