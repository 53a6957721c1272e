import { loadConfig } from '../src/config';
import { CostBuckets } from '../src/server/rate-limit';
import { dataOf, errorCode, gql, subscribe, type GraphQLResponse } from './support/client';
import { createUserWithRole, PASSWORD, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

// A budget of one costly query: 250 points, 25 back a second. Tests reach the server from 127.0.0.1 (a "proxy"
// with TRUST_PROXY=loopback), so each anonymous client is told apart by its X-Forwarded-For.
const BUDGET = { MAX_QUERY_COST: '250', RATE_LIMIT_MAXIMUM: '250', RATE_LIMIT_RESTORE_RATE: '25' };
let setup: TestServer; // the test suite's usual budget: sign-ups, users, login throttling
let server: TestServer;
let shop: SignedUp;
let user: { token: string };

beforeAll(async () => {
  setup = await startTestServer({ env: { TRUST_PROXY: 'loopback', LOGIN_CLIENT_FAILURE_LIMIT: '20' } });
  shop = await signUpWorkspace(setup.url, '限流小店');
  user = await createUserWithRole(setup.url, shop.token, 'MANAGER');
  server = await startTestServer({ env: { ...BUDGET, TRUST_PROXY: 'loopback' }, database: { url: setup.databaseUrl, name: setup.databaseName } });
});
afterAll(async () => {
  await server?.stop();
  await setup?.stop();
});

/** 1 + 99 × (user + workspace) = 199 points: a full bucket pays for one. */
const COSTLY = `{ users(first: 99) { nodes { id workspace { id } } } }`;
const LOGIN = `mutation { login(input: { email: "nobody@shop.example", password: "wrong-password" }) { token userErrors { code } } }`;

async function post(url: string, query: string, headers: Record<string, string> = {}): Promise<GraphQLResponse & { retryAfter: string | null }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ...((await response.json()) as object) };
}

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

describe('cost-based rate limits', () => {
  it('spends a user\'s budget over WebSocket and HTTP alike, answers THROTTLED with when to retry, and admits again once it refilled', async () => {
    // the user spends 199 of 250 points over WebSocket; the next costly HTTP request finds 51 (plus what came back)
    const ws = subscribe(server.wsUrl, COSTLY, user.token);
    expect((await ws.next()).data.users.nodes.length).toBeGreaterThan(0);
    await ws.close();
    const throttled = await post(server.url, COSTLY, { authorization: `Bearer ${user.token}` });
    expect(throttled.status).toBe(429);
    expect(throttled.data).toBeUndefined();
    expect(throttled.errors?.[0].extensions).toMatchObject({
      code: 'THROTTLED', retryAfter: expect.any(Number),
      cost: { requested: 199, throttleStatus: { maximumAvailable: 250, currentlyAvailable: expect.any(Number), restoreRate: 25 } },
    });
    const retryAfter = throttled.errors![0].extensions!.retryAfter as number;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(6); // (199 - 51) points at 25 a second
    expect(throttled.retryAfter).toBe(String(retryAfter));

    // another principal of the same workspace, and an anonymous client, keep their own budgets meanwhile
    const owner = await post(server.url, COSTLY, { authorization: `Bearer ${shop.token}` });
    expect(owner.extensions?.cost).toMatchObject({
      requested: 199, actual: null, throttleStatus: { maximumAvailable: 250, currentlyAvailable: expect.any(Number), restoreRate: 25 },
    });
    expect(owner.extensions?.cost.throttleStatus.currentlyAvailable).toBeLessThan(199); // 51 and what came back since
    expect((await post(server.url, LOGIN, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);

    await sleep(retryAfter);
    expect(dataOf(await post(server.url, COSTLY, { authorization: `Bearer ${user.token}` })).users.nodes.length).toBeGreaterThan(0);
  });

  it('gives each anonymous client a budget by its address, from X-Forwarded-For only behind a trusted proxy', async () => {
    // a login costs 201: one a client, then THROTTLED for that client only
    const attacker = { 'x-forwarded-for': '198.51.100.20' };
    expect(dataOf(await post(server.url, LOGIN, attacker)).login.userErrors).toEqual([{ code: 'CREDENTIALS_INVALID' }]);
    const throttled = await post(server.url, LOGIN, attacker);
    expect([throttled.status, errorCode(throttled)]).toEqual([429, 'THROTTLED']);
    expect(dataOf(await post(server.url, LOGIN, { 'x-forwarded-for': '198.51.100.21' })).login.userErrors).toEqual([{ code: 'CREDENTIALS_INVALID' }]);

    // without TRUST_PROXY the header is the client's own word: every request is 127.0.0.1's
    const direct = await startTestServer({ env: BUDGET, database: { url: server.databaseUrl, name: server.databaseName } });
    try {
      expect((await post(direct.url, LOGIN, { 'x-forwarded-for': '192.0.2.1' })).status).toBe(200);
      expect(errorCode(await post(direct.url, LOGIN, { 'x-forwarded-for': '192.0.2.2' }))).toBe('THROTTLED');
    } finally {
      await direct.stop();
    }
  });
});

describe('login throttling', () => {
  const LOGIN_AS = `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`;
  const loginFrom = (ip: string, email: string, password: string) =>
    fetch(setup.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ query: LOGIN_AS, variables: { input: { email, password } } }),
    }).then(async (response) => ({ status: response.status, ...((await response.json()) as object) }) as GraphQLResponse);

  it('stops an attacker guessing a victim\'s password from one address without locking the victim out elsewhere', async () => {
    const victim = await signUpWorkspace(setup.url, '受害小店');
    for (let i = 0; i < 10; i++) {
      expect(dataOf(await loginFrom('198.51.100.66', victim.email, `guess-${i}`)).login.userErrors).toEqual([{ code: 'CREDENTIALS_INVALID' }]);
    }
    const throttled = await loginFrom('198.51.100.66', victim.email, PASSWORD); // even the right password, from there
    expect(throttled.errors?.[0]).toMatchObject({ extensions: { code: 'THROTTLED', retryAfter: expect.any(Number) } });
    expect(throttled.errors?.[0].message).toMatch(/for this email from this address/);
    expect(throttled.errors![0].extensions!.retryAfter).toBeGreaterThan(14 * 60);
    expect(dataOf(await loginFrom('203.0.113.10', victim.email, PASSWORD)).login.token).toBeTruthy();
  });

  it('throttles one address trying many emails (password spraying, LOGIN_CLIENT_FAILURE_LIMIT=20 here), whatever the email, and no other address', async () => {
    const sprayed = await signUpWorkspace(setup.url, '撞库小店');
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => loginFrom('198.51.100.77', `user${i}@elsewhere.example`, 'Summer2026!')));
    expect(attempts.every((a) => a.data?.login?.userErrors?.[0]?.code === 'CREDENTIALS_INVALID')).toBe(true);
    const next = await loginFrom('198.51.100.77', sprayed.email, PASSWORD);
    expect(next.errors?.[0]).toMatchObject({ message: expect.stringMatching(/from this address/), extensions: { code: 'THROTTLED' } });
    expect(dataOf(await loginFrom('198.51.100.78', sprayed.email, PASSWORD)).login.token).toBeTruthy();
  });
});

describe('the bucket', () => {
  it('refills continuously up to its maximum, and RATE_LIMIT_INSTANCES splits budget and refill between instances', () => {
    let now = 0;
    const buckets = new CostBuckets(loadConfig({ RATE_LIMIT_MAXIMUM: '4000', RATE_LIMIT_RESTORE_RATE: '200', RATE_LIMIT_INSTANCES: '2' }), () => now);
    expect(buckets.charge('a', 2000).status).toEqual({ maximumAvailable: 2000, currentlyAvailable: 0, restoreRate: 100 });
    expect(buckets.charge('a', 50)).toEqual({ allowed: false, retryAfterSeconds: 1, status: expect.objectContaining({ currentlyAvailable: 0 }) });
    now += 500;
    expect(buckets.charge('a', 50).status.currentlyAvailable).toBe(0); // 50 came back in half a second, and were spent
    now += 3_600_000;
    expect(buckets.charge('a', 0).status.currentlyAvailable).toBe(2000); // never above the maximum
    expect(() => loadConfig({ MAX_QUERY_COST: '2000', RATE_LIMIT_MAXIMUM: '3000', RATE_LIMIT_INSTANCES: '2' })).toThrow(/RATE_LIMIT_MAXIMUM divided by RATE_LIMIT_INSTANCES/);
  });

  it('reads TRUST_PROXY as express does: off by default, true, a hop count, or a list of proxies', () => {
    expect([undefined, 'true', '2', 'loopback, 10.0.0.0/8'].map((value) => loadConfig({ TRUST_PROXY: value }).trustProxy))
      .toEqual([false, true, 2, ['loopback', '10.0.0.0/8']]);
    expect(() => loadConfig({ TRUST_PROXY: 'the-proxy' })).toThrow(/TRUST_PROXY must be/);
  });
});
