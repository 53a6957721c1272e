import { PassThrough } from 'node:stream';
import { adminQuery, waitForEventListeners } from './support/database';
import { dataOf, errorCode, gql, subscribe } from './support/client';
import { createUserWithRole, PASSWORD, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

let server: TestServer;
let shop: SignedUp;
const logLines: Record<string, any>[] = [];

beforeAll(async () => {
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean).forEach((line) => logLines.push(JSON.parse(line))));
  server = await startTestServer({ logStream, env: { MAX_QUERY_DEPTH: '4', MAX_QUERY_COST: '1000' } });
  shop = await signUpWorkspace(server.url, '健康检查小店');
});
afterAll(async () => {
  await server?.stop();
});

const base = () => server.url.replace(/\/graphql$/, '');

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base()}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('goes unready while the database refuses connections, answers a coded error, and recovers without a restart', async () => {
    const stream = subscribe(server.wsUrl, `subscription { auditEntryAdded { entry { action changes } } }`, shop.token);
    await new Promise((r) => setTimeout(r, 300));
    const db = server.databaseName;
    await adminQuery(`alter database ${db} allow_connections false`);
    await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${db}'`);
    try {
      const ready = await fetch(`${base()}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'database unreachable' });
      const failed = await gql(server.url, `{ users { totalCount } }`, {}, shop.token);
      expect(failed.errors?.[0]).toMatchObject({ message: 'The database is unavailable; try again shortly', extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'DATABASE_UNAVAILABLE' } });
      expect(JSON.stringify(failed)).not.toMatch(/stacktrace|at .*\.ts/);
    } finally {
      await adminQuery(`alter database ${db} allow_connections true`);
    }
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await fetch(`${base()}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect(dataOf(await gql(server.url, `{ users { totalCount } }`, {}, shop.token)).users.totalCount).toBe(1);
    // a subscription open during the outage survives it: the event log is read again once the database is back
    dataOf(await gql(server.url, `mutation { userCreate(input: { email: "after@shop.example", password: "${PASSWORD}", displayName: "x", role: AGENT }) { userErrors { code } } }`, {}, shop.token));
    expect((await stream.until((e) => e.data.auditEntryAdded.entry.changes?.email === 'after@shop.example', 15_000)).data.auditEntryAdded.entry.action).toBe('platform.user.create');
    await stream.close();
    await waitForEventListeners(db, 1);
  });
});

describe('query limits', () => {
  it('refuses a query deeper than MAX_QUERY_DEPTH before running it', async () => {
    const deep = `{ viewer { apiKey { createdBy { workspace { name } } } } }`;
    expect((await gql(server.url, `{ viewer { user { workspace { id } } } }`, {}, shop.token)).errors).toBeUndefined();
    const result = await gql(server.url, deep, {}, shop.token);
    expect(result.status).toBe(400);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP' });
  });

  it('prices lists by `first` and refuses a query above MAX_QUERY_COST', async () => {
    const cheap = await gql(server.url, `{ users(first: 10) { nodes { id email } } }`, {}, shop.token);
    expect(cheap.extensions?.cost).toMatchObject({ requested: 1 + 10 * 1, limit: 1000 }); // scalars are free, each user costs 1
    const hundredUsers = `users(first: 100) { nodes { id email workspace { id name } } }`; // 1 + 100 × (user + workspace)
    const costly = await gql(server.url, `{ ${[1, 2, 3, 4, 5].map((n) => `a${n}: ${hundredUsers}`).join(' ')} }`, {}, shop.token);
    expect(costly.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COSTLY' });
    expect(costly.data).toBeUndefined();
  });

  it('caps `first` at 100 and rejects a forged cursor', async () => {
    const tooMany = await gql(server.url, `{ users(first: 101) { totalCount } }`, {}, shop.token);
    expect(errorCode(tooMany)).toBe('BAD_USER_INPUT');
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const after of ['garbage', cursor(['2026-01-01T00:00:00.000Z', 'not-a-uuid']), cursor(['not a date', '6f1c2a3e-1b2c-4d5e-8f90-123456789abc']), cursor({})]) {
      const forged = await gql(server.url, `query($after: String) { users(after: $after) { totalCount } }`, { after }, shop.token);
      expect(errorCode(forged)).toBe('BAD_USER_INPUT');
    }
  });
});

describe('connections', () => {
  it('pages through a list with keyset cursors: every item once, in order', async () => {
    const other = await signUpWorkspace(server.url, '分页小店');
    for (let i = 0; i < 6; i++) await createUserWithRole(server.url, other.token, 'AGENT');
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: any = dataOf(await gql(server.url, `query($after: String) { users(first: 3, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after }, other.token)).users;
      expect(page.totalCount).toBe(7);
      seen.push(...page.edges.map((e: any) => e.node.id));
      pages++;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
  });
});

describe('SQL statement counting (the N+1 check every module uses)', () => {
  it('reports statements per request, and a list with a batched relation costs the same for 2 or 20 rows', async () => {
    const other = await signUpWorkspace(server.url, '计数小店');
    for (let i = 0; i < 19; i++) await createUserWithRole(server.url, other.token, 'AGENT');
    const list = `query($n: Int!) { users(first: $n) { nodes { id workspace { name } } } }`;
    const two = await gql(server.url, list, { n: 2 }, other.token);
    const twenty = await gql(server.url, list, { n: 20 }, other.token);
    expect(dataOf(twenty).users.nodes).toHaveLength(20);
    expect(two.extensions?.sqlStatements).toBeGreaterThan(0);
    expect(twenty.extensions?.sqlStatements).toBe(two.extensions?.sqlStatements);
  });
});

describe('response headers', () => {
  it('marks GraphQL answers uncacheable (cache-control: no-store), errors included, and sends no ETag', async () => {
    for (const [query, token] of [['{ me { id email } }', shop.token], ['{ __typename }', undefined], ['{ noSuchField }', undefined]] as const) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query }),
      });
      expect({ query, cacheControl: response.headers.get('cache-control'), etag: response.headers.get('etag') }).toEqual({ query, cacheControl: 'no-store', etag: null });
    }
  });
});

describe('logging', () => {
  it('writes one line per request with id, operation and duration, and never a token or password', async () => {
    const marker = `LoggedOperation${Date.now()}`;
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${shop.token}`, 'x-request-id': marker },
      body: JSON.stringify({ query: `query ${marker} { me { id } }` }),
    });
    expect(response.headers.get('x-request-id')).toBe(marker);
    await gql(server.url, `mutation { login(input: { email: "${shop.email}", password: "${PASSWORD}" }) { token } }`);
    const lines = logLines.filter((l) => l.requestId === marker);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ operation: marker, principal: 'USER', msg: 'graphql request' });
    expect(typeof lines[0].durationMs).toBe('number');
    // anonymous operations are named by their root fields; a refused credential is logged too
    await gql(server.url, `{ me { id } viewer { kind } }`, {}, shop.token);
    expect(logLines.some((l) => l.operation === 'query me,viewer')).toBe(true);
    const refused = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer st_forged', 'x-request-id': `${marker}-401` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(refused.status).toBe(401);
    expect(logLines.filter((l) => l.requestId === `${marker}-401`)).toEqual([expect.objectContaining({ principal: 'INVALID_CREDENTIAL', errors: ['UNAUTHENTICATED'] })]);
    const all = JSON.stringify(logLines);
    expect(all).not.toContain(shop.token);
    expect(all).not.toContain(PASSWORD);
  });
});
