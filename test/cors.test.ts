import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { dataOf } from './support/client';
import { signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

const APP = 'https://app.example';
const OTHER = 'https://evil.example';

let server: TestServer;
let shop: SignedUp;

beforeAll(async () => {
  server = await startTestServer({ env: { CORS_ORIGINS: `${APP}, http://127.0.0.1:5173` } });
  shop = await signUpWorkspace(server.url, 'CORS 小店');
});
afterAll(async () => {
  await server?.stop();
});

/** The preflight a browser sends before a cross-origin POST with a bearer token and a JSON body. */
function preflight(url: string, origin: string, headers = 'authorization,content-type') {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
  });
}

/** The statuses of a WebSocket upgrade: 101 when it opened, else the HTTP status of the refusal. */
function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', origin ? { origin } : {});
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

describe('CORS', () => {
  it('answers a real preflight from an allowed origin with the headers a browser needs, without credentials', async () => {
    const response = await preflight(server.url, APP, 'authorization,content-type,x-request-id,apollo-require-preflight');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-request-id', 'apollo-require-preflight']),
    );
    expect(response.headers.get('access-control-max-age')).toBe('7200');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('serves a cross-origin POST with a bearer token and lets the page read x-request-id and Retry-After', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json', authorization: `Bearer ${shop.token}`, 'x-request-id': 'from-the-app' },
      body: JSON.stringify({ query: '{ viewer { kind user { email } } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-expose-headers')?.toLowerCase().split(',')).toEqual(['x-request-id', 'retry-after']);
    expect(response.headers.get('x-request-id')).toBe('from-the-app');
    expect(((await response.json()) as any).data.viewer).toEqual({ kind: 'USER', user: { email: shop.email } });
  });

  it('answers a bad token with 401 and CORS headers, so the app can read why', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json', authorization: 'Bearer st_forged' },
      body: JSON.stringify({ query: '{ viewer { kind } }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('refuses the preflight of an origin not in CORS_ORIGINS with 403, and gives its requests no CORS headers', async () => {
    const refused = await preflight(server.url, OTHER);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(await refused.json()).toEqual({
      errors: [{ message: `Origin ${OTHER} is not allowed to call this API from a browser (CORS_ORIGINS)`, extensions: { code: 'FORBIDDEN' } }],
    });
    // localhost is allowed by default only in development
    expect((await preflight(server.url, 'http://localhost:5173')).status).toBe(403);
    // an origin is matched exactly: scheme and port count
    expect((await preflight(server.url, 'http://app.example')).status).toBe(403);
    expect((await preflight(server.url, 'http://127.0.0.1:5174')).status).toBe(403);
    expect((await preflight(server.url, 'http://127.0.0.1:5173')).status).toBe(204);

    const post = await fetch(server.url, {
      method: 'POST',
      headers: { origin: OTHER, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    expect(post.headers.get('vary')).toContain('Origin');
  });

  it("keeps Apollo's CSRF prevention: a request a browser sends without preflight is refused", async () => {
    const simplePost = await fetch(server.url, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: `mutation { logout { userErrors { code } } }` }),
    });
    expect(simplePost.status).toBe(400);
    expect(((await simplePost.json()) as any).errors[0].message).toContain('Cross-Site Request Forgery');

    const query = `${server.url}?query=${encodeURIComponent('{ __typename }')}`;
    expect((await fetch(query, { headers: { origin: APP } })).status).toBe(400);
    const preflighted = await fetch(query, { headers: { origin: APP, 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
    expect(preflighted.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('in development allows localhost and 127.0.0.1 on any port by default, and no other origin', async () => {
    const development = await startTestServer({ database: { url: server.databaseUrl, name: server.databaseName }, env: { NODE_ENV: 'development' } });
    try {
      for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3000', 'http://localhost']) {
        const response = await preflight(development.url, origin);
        expect([origin, response.status, response.headers.get('access-control-allow-origin')]).toEqual([origin, 204, origin]);
      }
      for (const origin of [APP, 'http://localhost.evil.example', 'http://192.168.1.10:5173']) {
        expect([origin, (await preflight(development.url, origin)).status]).toEqual([origin, 403]);
      }
    } finally {
      await development.stop();
    }
  });
});

describe('WebSocket origin', () => {
  it('refuses an upgrade from a browser page of a disallowed origin with 403', async () => {
    expect(await upgradeStatus(server.wsUrl, OTHER)).toBe(403);
    expect(await upgradeStatus(server.wsUrl, 'http://localhost:5173')).toBe(403);
  });

  it('accepts an allowed origin, the server’s own origin (the playground) and clients that send no Origin', async () => {
    expect(await upgradeStatus(server.wsUrl)).toBe(101);
    expect(await upgradeStatus(server.wsUrl, new URL(server.url).origin)).toBe(101);
    // a whole graphql-ws operation from the allowed origin, authenticated by connectionParams
    class FromApp extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { origin: APP });
      }
    }
    const client = createClient({ url: server.wsUrl, webSocketImpl: FromApp, connectionParams: { authorization: `Bearer ${shop.token}` }, retryAttempts: 0 });
    try {
      const result = await client.iterate({ query: '{ viewer { kind } }' }).next();
      expect(dataOf(result.value as any)).toEqual({ viewer: { kind: 'USER' } });
    } finally {
      await client.dispose();
    }
  });
});
