import { createClient } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { parseGlobalId } from '../src/graphql/global-id';
import { EVENTS_LISTENER_NAME, readEvents } from '../src/kernel/event-log';
import { dataOf, gql, subscribe } from './support/client';
import { adminQuery, waitForEventListeners } from './support/database';
import { createUserWithRole, PASSWORD, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/** Two server instances on one database: live updates travel between them through the event log (src/kernel/event-log.ts). */
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

const AUDIT_STREAM = `subscription($after: String) { auditEntryAdded(after: $after) { position topic entry { id action subjectType subjectId actorKind actor { id } changes } } }`;
const USER_CREATE = `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { code } } }`;

it('delivers an audit entry committed on instance A to a subscriber on instance B', async () => {
  const stream = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
  try {
    await new Promise((r) => setTimeout(r, 300)); // let the subscription start
    const created = dataOf(await gql(instanceA.url, USER_CREATE, { input: { email: 'live@shop.example', password: PASSWORD, displayName: '小李', role: 'AGENT' } }, shop.token));
    const event = await stream.until((e) => e.data.auditEntryAdded.entry.changes?.email === 'live@shop.example');
    expect(event.errors).toBeUndefined();
    expect(event.data.auditEntryAdded).toMatchObject({ topic: 'audit.entryAdded', position: expect.stringMatching(/^[1-9][0-9]*$/) });
    expect(event.data.auditEntryAdded.entry).toMatchObject({
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
    // the next user created in our workspace is the successful one (not the failed one, not the other workspace's)
    const event = await stream.until((e) => e.data.auditEntryAdded.entry.action === 'platform.user.create' && e.data.auditEntryAdded.entry.changes?.email !== 'live@shop.example');
    expect(event.data.auditEntryAdded.entry.changes.email).toBe('second@shop.example');
  } finally {
    await stream.close();
  }
});

it('resolves each event afresh: a subscription does not serve what it read for an earlier event', async () => {
  const owner = await signUpWorkspace(instanceA.url, '新鲜度小店');
  const stream = subscribe(instanceB.wsUrl, `subscription { auditEntryAdded { entry { action actor { displayName } } } }`, owner.token);
  const rename = `mutation($input: UserUpdateInput!) { userUpdate(input: $input) { userErrors { code } } }`;
  try {
    await new Promise((r) => setTimeout(r, 300));
    dataOf(await gql(instanceA.url, rename, { input: { id: owner.userId, version: 1, displayName: '老名字' } }, owner.token));
    const isUpdate = (e: { data?: any }) => e.data.auditEntryAdded.entry.action === 'platform.user.update';
    expect((await stream.until(isUpdate)).data.auditEntryAdded.entry.actor.displayName).toBe('老名字');
    dataOf(await gql(instanceA.url, rename, { input: { id: owner.userId, version: 2, displayName: '新名字' } }, owner.token));
    expect((await stream.until(isUpdate)).data.auditEntryAdded.entry.actor.displayName).toBe('新名字');
  } finally {
    await stream.close();
  }
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;
const createUser = (email: string) =>
  gql(instanceA.url, USER_CREATE, { input: { email, password: PASSWORD, displayName: 'x', role: 'AGENT' } }, shop.token).then(dataOf);
const emailOf = (event: { data?: any }) => event.data.auditEntryAdded.entry.changes?.email as string | undefined;

it('loses nothing when the listening connections are terminated while the other instance commits: every subscriber gets every event, in order, once', async () => {
  const subscribers = [subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token), subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token)];
  const db = instanceA.databaseName;
  try {
    await new Promise((r) => setTimeout(r, 300));
    const emails = Array.from({ length: 12 }, (_, i) => `burst-${i}@shop.example`);
    const writing = (async () => {
      for (const email of emails) await createUser(email);
    })();
    // Kill the LISTEN connections of both instances, repeatedly, while instance A writes.
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 60));
      await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = $2`, 'postgres', [db, EVENTS_LISTENER_NAME]);
    }
    await writing;
    for (const stream of subscribers) {
      const received: string[] = [];
      const isBurst = (e: { data?: any }) => /^burst-/.test(e.data.auditEntryAdded.entry.changes?.email ?? '');
      for (let i = 0; i < emails.length; i++) received.push(emailOf(await stream.until(isBurst, 20_000))!);
      expect(received).toEqual(emails);
      await expect(stream.until(isBurst, 1500)).rejects.toThrow(/no subscription event/); // and none twice
    }
  } finally {
    await Promise.all(subscribers.map((s) => s.close()));
  }
  await waitForEventListeners(db, 2);
});

it('resumes a subscription from the last position it saw: what was committed while it was away comes first, then live events', async () => {
  const first = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
  let lastSeen: string;
  try {
    await new Promise((r) => setTimeout(r, 300));
    await createUser('seen@shop.example');
    const seen = await first.until((e) => emailOf(e) === 'seen@shop.example');
    expect(emailOf(seen)).toBe('seen@shop.example');
    lastSeen = seen.data.auditEntryAdded.position;
  } finally {
    await first.close(); // the widget's network drops
  }
  await createUser('missed-1@shop.example');
  await createUser('missed-2@shop.example');
  const resumed = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token, { after: lastSeen });
  try {
    const firstResumed = await resumed.next();
    expect(emailOf(firstResumed)).toBe('missed-1@shop.example');
    expect(emailOf(await resumed.next())).toBe('missed-2@shop.example');
    await createUser('live@after.example');
    expect(emailOf(await resumed.next())).toBe('live@after.example');
    await expect(resumed.next(1000)).rejects.toThrow(/no subscription event/);
  } finally {
    await resumed.close();
  }
});

it('refuses to resume from a position that is not in the log (pruned, forged, or another workspace\'s) with EVENTS_EXPIRED, and a malformed one with BAD_USER_INPUT', async () => {
  const other = await signUpWorkspace(instanceA.url, '别家店');
  const theirs = await gql(instanceA.url, `{ auditLog(first: 1) { nodes { id } } }`, {}, other.token);
  expect(theirs.errors).toBeUndefined();
  const [{ position: theirPosition }] = (await adminQuery(`select position::text from domain_event where workspace_id = $1 limit 1`, instanceA.databaseName, [uuid(other.workspaceId)])).rows;
  for (const after of [theirPosition, '999999999999']) {
    const stream = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token, { after });
    expect((await stream.next()).errors?.[0]?.extensions?.code).toBe('EVENTS_EXPIRED');
    await stream.close();
  }
  const malformed = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token, { after: '12; drop table' });
  expect((await malformed.next()).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  await malformed.close();
});

it('prunes events older than EVENT_RETENTION_DAYS (the hourly events.prune job); resuming from a pruned position is EVENTS_EXPIRED', async () => {
  const first = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
  await new Promise((r) => setTimeout(r, 300));
  await createUser('old-news@shop.example');
  const oldPosition = (await first.until((e) => emailOf(e) === 'old-news@shop.example')).data.auditEntryAdded.position;
  await first.close();
  await createUser('recent@shop.example');
  const db = instanceA.databaseName;
  await adminQuery(`update domain_event set occurred_at = now() - interval '8 days' where position <= $1`, db, [oldPosition]);
  await instanceA.services.jobs.send('events.prune');
  for (let i = 0; i < 100; i++) {
    const left = await adminQuery(`select count(*)::int as n from domain_event where position <= $1`, db, [oldPosition]);
    if (left.rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await adminQuery(`select count(*)::int as n from domain_event where position <= $1`, db, [oldPosition])).rows[0].n).toBe(0);
  expect((await adminQuery(`select count(*)::int as n from domain_event where position > $1`, db, [oldPosition])).rows[0].n).toBeGreaterThan(0);
  const stale = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token, { after: oldPosition });
  expect((await stale.next()).errors?.[0]?.extensions?.code).toBe('EVENTS_EXPIRED');
  await stale.close();
});

it('orders the log by transaction id as a number, not as text: an event of transaction 9983 comes before one of 10001', async () => {
  const db = instanceA.databaseName;
  const [{ current }] = (await adminQuery(`select pg_current_xact_id()::text as current`, db)).rows;
  const boundary = 10n ** BigInt(current.length - 1); // a power of ten below the current transaction id
  const workspaceId = uuid(shop.workspaceId);
  const subject = randomUUID();
  // The later transaction's event gets the lower position, as a slower transaction's would.
  for (const transactionId of [boundary + 1n, boundary - 17n]) {
    await adminQuery(
      `insert into domain_event (workspace_id, transaction_id, topic, subject_id, actor_kind) values ($1, $2::text::xid8, 'customers.customerUpdated', $3, 'SYSTEM')`,
      db, [workspaceId, String(transactionId), subject],
    );
  }
  const read = await readEvents(instanceA.services.orm, { transactionId: String(boundary - 100n), position: '0' }, 10, { workspaceId });
  expect(read.filter((e) => e.subjectId === subject).map((e) => e.transactionId)).toEqual([String(boundary - 17n), String(boundary + 1n)]);
});

it('delivers an event held back by an older transaction that writes no event as soon as that one ends, not on the timer', async () => {
  const patient = await startTestServer({ database: { url: instanceA.databaseUrl, name: instanceA.databaseName }, env: { EVENT_POLL_MS: '60000' } });
  const stream = subscribe(patient.wsUrl, AUDIT_STREAM, shop.token);
  const blocker = new pg.Client({ connectionString: instanceA.databaseUrl });
  await blocker.connect();
  try {
    await new Promise((r) => setTimeout(r, 300));
    await blocker.query('begin');
    await blocker.query('select pg_current_xact_id()'); // an open transaction with an id, and no event to NOTIFY
    await createUser('held-back@shop.example');
    const isHeldBack = (e: { data?: any }) => emailOf(e) === 'held-back@shop.example';
    await expect(stream.until(isHeldBack, 1000)).rejects.toThrow(/no subscription event/);
    await blocker.query('commit');
    const started = Date.now();
    await stream.until(isHeldBack, 5000); // the timer would take 60 s
    expect(Date.now() - started).toBeLessThan(5000);
  } finally {
    await blocker.end();
    await stream.close();
    await patient.stop();
  }
});

it('never steps past an event that a slower transaction still holds: it waits, then delivers both in log order', async () => {
  const stream = subscribe(instanceB.wsUrl, AUDIT_STREAM, shop.token);
  const slow = new pg.Client({ connectionString: instanceA.databaseUrl });
  await slow.connect();
  try {
    await new Promise((r) => setTimeout(r, 300));
    await createUser('before-slow@shop.example');
    const entryId = (await stream.until((e) => emailOf(e) === 'before-slow@shop.example')).data.auditEntryAdded.entry.id;
    // A transaction takes a position and stays open; a later one commits a higher position meanwhile.
    await slow.query('begin');
    const [{ position: slowPosition }] = (await slow.query(
      `insert into domain_event (workspace_id, topic, subject_id, actor_kind) values ($1, 'audit.entryAdded', $2, 'SYSTEM') returning position::text`,
      [uuid(shop.workspaceId), uuid(entryId)],
    )).rows;
    await createUser('during-slow@shop.example');
    await expect(stream.next(1500)).rejects.toThrow(/no subscription event/); // held back, not skipped
    await slow.query('commit');
    const a = await stream.next(10_000);
    const b = await stream.next(10_000);
    expect(a.data.auditEntryAdded.position).toBe(slowPosition);
    expect(emailOf(b)).toBe('during-slow@shop.example');
  } finally {
    await slow.end();
    await stream.close();
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
      expect((await untouched.until((e) => e.data.auditEntryAdded.entry.action === 'platform.apiKey.revoke')).data.auditEntryAdded.entry.subjectType).toBe('ApiKey');
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
      expect((await stream.until((e) => e.data.auditEntryAdded.entry.action === 'platform.user.create')).data.auditEntryAdded.entry.changes.email).toBe('via-key@shop.example');
    } finally {
      await stream.close();
    }
  });
});
