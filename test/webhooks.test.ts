import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { CUSTOMER_EVENTS } from '../modules/customers';
import { RequestContext } from '../src/context';
import { parseGlobalId } from '../src/graphql/global-id';
import { dataOf, gql } from './support/client';
import { createCustomer } from './customers-fixtures';
import { createUserWithRole, signUpWorkspace, type SignedUp } from './support/fixtures';
import { eventually } from './support/eventually';
import { startTestServer, type TestServer } from './support/server';

/** A partner's endpoint on loopback: records every POST and answers what `answer` says. */
interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  payload: any;
}
class Receiver {
  readonly received: Received[] = [];
  answer: (request: Received) => number = () => 200;
  private server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const entry = { path: request.url ?? '', headers: request.headers, body, payload: JSON.parse(body) };
      this.received.push(entry);
      response.statusCode = this.answer(entry);
      response.end('ok');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }
}

const CREATE = `mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) { secret endpoint { id url topics enabled } userErrors { field code message } } }`;
const DELIVERIES = `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { enabled disabledReason failingSince
  deliveries(first: 50) { nodes { eventPosition topic subjectId status attempts responseStatus lastError deliveredAt } } } } }`;
const UPDATE = `mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) { customer { version } userErrors { code } } }`;

let server: TestServer;
let receiver: Receiver;
let base: string;
let shop: SignedUp;

beforeAll(async () => {
  server = await startTestServer({ env: { WEBHOOK_RETRY_BASE_MS: '200' } });
  receiver = new Receiver();
  base = await receiver.start();
  shop = await signUpWorkspace(server.url, '推送小店');
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

async function register(token: string, path: string, topics: string[]): Promise<{ id: string; secret: string }> {
  const result = dataOf(await gql(server.url, CREATE, { input: { url: `${base}${path}`, topics } }, token)).webhookEndpointCreate;
  expect(result.userErrors).toEqual([]);
  return { id: result.endpoint.id, secret: result.secret };
}

const verify = (secret: string, received: Received): boolean => {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(received.headers['x-webhook-signature']));
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${received.body}`).digest('hex');
  return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
};

describe('registering endpoints', () => {
  it('shows the secret once, refuses bad URLs and unknown topics, and needs webhooks:write', async () => {
    const created = dataOf(await gql(server.url, CREATE, { input: { url: `${base}/a`, topics: ['customers.customerCreated'] } }, shop.token)).webhookEndpointCreate;
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(created.endpoint).toMatchObject({ url: `${base}/a`, topics: ['customers.customerCreated'], enabled: true });
    const listed = dataOf(await gql(server.url, `{ webhookEndpoints(first: 10) { nodes { id url } } webhookTopics }`, {}, shop.token));
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(listed.webhookTopics).toEqual(expect.arrayContaining(['customers.customerCreated', 'customers.orderUpserted']));
    expect(listed.webhookTopics).not.toContain('identity.accessRevoked');

    const refused = dataOf(await gql(server.url, CREATE, { input: { url: 'ftp://example.com/x', topics: ['customers.nope', 'identity.accessRevoked'] } }, shop.token)).webhookEndpointCreate;
    expect(refused.endpoint).toBeNull();
    expect(refused.userErrors.map((e: any) => [e.field.join('.'), e.code])).toEqual([
      ['input.url', 'INVALID'], ['input.topics.0', 'INVALID'], ['input.topics.1', 'INVALID'],
    ]);
    const agent = await createUserWithRole(server.url, shop.token, 'AGENT');
    expect((await gql(server.url, CREATE, { input: { url: `${base}/x`, topics: ['customers.customerCreated'] } }, agent.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const key = dataOf(await gql(server.url, `mutation { apiKeyCreate(input: { name: "crm", scopes: ["webhooks:write"] }) { secret } }`, {}, shop.token)).apiKeyCreate.secret;
    expect(dataOf(await gql(server.url, CREATE, { input: { url: `${base}/k`, topics: ['customers.customerCreated'] } }, key)).webhookEndpointCreate.userErrors).toEqual([]);
  });
});

describe('deliveries', () => {
  it('POSTs ids and the topic, signed with the endpoint secret, with the event position as X-Webhook-Id', async () => {
    const endpoint = await register(shop.token, '/signed', ['customers.customerCreated']);
    const customer = await createCustomer(server.url, shop.token, { name: '签名客户' });
    const [received] = await eventually(() => (receiver.on('/signed').length ? receiver.on('/signed') : undefined));
    expect(verify(endpoint.secret, received)).toBe(true);
    expect(verify('whsec_wrong', received)).toBe(false);
    expect(verify(endpoint.secret, { ...received, body: received.body.replace('customerCreated', 'customerErased') })).toBe(false);
    expect(received.headers['x-webhook-topic']).toBe('customers.customerCreated');
    expect(received.payload).toEqual({
      id: received.headers['x-webhook-id'],
      topic: 'customers.customerCreated',
      occurredAt: expect.any(String),
      workspaceId: shop.workspaceId,
      subject: { type: 'Customer', id: customer.id },
      refs: {},
    });
    // The partner reads the details through the API, with the global id it was sent.
    expect(dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { name } }`, { id: received.payload.subject.id }, shop.token)).customer.name).toBe('签名客户');
    const listed = dataOf(await gql(server.url, DELIVERIES, { id: endpoint.id }, shop.token)).node.deliveries.nodes;
    expect(listed).toEqual([expect.objectContaining({
      eventPosition: received.payload.id, status: 'DELIVERED', attempts: 1, responseStatus: 200, subjectId: customer.id,
    })]);
  });

  it('retries after 500s with backoff, and keeps one subject\'s events in order while an earlier one waits', async () => {
    const endpoint = await register(shop.token, '/flaky', ['customers.customerCreated', 'customers.customerUpdated']);
    let failures = 0;
    receiver.answer = (request) => (request.path === '/flaky' && request.payload.topic === 'customers.customerCreated' && failures++ < 2 ? 500 : 200);
    try {
      const customer = await createCustomer(server.url, shop.token, { name: '顺序客户' });
      let version = 1;
      for (const nickname of ['一', '二', '三']) {
        const updated = dataOf(await gql(server.url, UPDATE, { input: { id: customer.id, version, nickname } }, shop.token)).customerUpdate;
        expect(updated.userErrors).toEqual([]);
        version = updated.customer.version;
      }
      const accepted = await eventually(() => {
        const ok = receiver.on('/flaky').filter((r, i, all) => all.indexOf(r) >= 0 && r.payload.subject.id === customer.id);
        return ok.length >= 6 ? ok : undefined;
      });
      // Two refused attempts of the creation, then creation and the three updates, in that order.
      expect(accepted.map((r) => r.payload.topic)).toEqual([
        'customers.customerCreated', 'customers.customerCreated', 'customers.customerCreated',
        'customers.customerUpdated', 'customers.customerUpdated', 'customers.customerUpdated',
      ]);
      const positions = accepted.slice(2).map((r) => BigInt(r.payload.id));
      expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
      const created = dataOf(await gql(server.url, DELIVERIES, { id: endpoint.id }, shop.token)).node.deliveries.nodes
        .find((d: any) => d.topic === 'customers.customerCreated');
      expect(created).toMatchObject({ status: 'DELIVERED', attempts: 3, responseStatus: 200, lastError: null });
    } finally {
      receiver.answer = () => 200;
    }
  });

  it("sends nothing for another workspace's events or for a change that rolled back", async () => {
    await register(shop.token, '/mine', ['customers.customerCreated']);
    const other = await signUpWorkspace(server.url, '隔壁店');
    await createCustomer(server.url, other.token, { name: '隔壁的客户' });
    const ghost = randomUUID();
    const ctx = RequestContext.forSystem(server.services, parseGlobalId(shop.workspaceId)!.id);
    await expect(ctx.transaction(async (tx) => {
      tx.emit(CUSTOMER_EVENTS.created, ghost);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    const mine = await createCustomer(server.url, shop.token, { name: '我的客户' });
    await eventually(() => receiver.on('/mine').some((r) => r.payload.subject.id === mine.id));
    expect(receiver.received.filter((r) => r.payload.workspaceId === other.workspaceId)).toEqual([]);
    expect(receiver.received.filter((r) => r.body.includes(ghost))).toEqual([]);
  });
});

describe('two instances on one database', () => {
  it('sends each event once to each endpoint, whichever instance dispatches and sends it', async () => {
    const second = await startTestServer({ database: { url: server.databaseUrl, name: server.databaseName }, env: { WEBHOOK_RETRY_BASE_MS: '200' } });
    try {
      await register(shop.token, '/both', ['customers.customerCreated']);
      const created = [];
      for (let i = 0; i < 10; i++) created.push(await createCustomer(i % 2 ? second.url : server.url, shop.token, { name: `双实例${i}` }));
      const ids = new Set(created.map((c) => c.id));
      await eventually(() => receiver.on('/both').filter((r) => ids.has(r.payload.subject.id)).length >= 10);
      await new Promise((r) => setTimeout(r, 1000)); // time for a duplicate to arrive, if one were sent
      const positions = receiver.on('/both').filter((r) => ids.has(r.payload.subject.id)).map((r) => r.payload.id);
      expect(positions).toHaveLength(10);
      expect(new Set(positions).size).toBe(10);
    } finally {
      await second.stop();
    }
  });
});

describe('a database without enabled endpoints', () => {
  it('costs the dispatcher no transaction, lock or claim per event; an endpoint registered on another instance gets the events committed after it, each once, and none from well before', async () => {
    const api = await startTestServer({ env: { JOB_WORKERS: 'false' } });
    const worker = await startTestServer({ database: { url: api.databaseUrl, name: api.databaseName } });
    const query = pg.Client.prototype.query;
    const statements: string[] = [];
    try {
      const owner = await signUpWorkspace(api.url, '无推送小店');
      // Every statement sent to this test's database (the file's other server has a database of its own).
      (pg.Client.prototype as any).query = function (this: pg.Client, config: any, ...rest: unknown[]) {
        if (this.database === api.databaseName) statements.push(typeof config === 'string' ? config : config?.text ?? '');
        return (query as any).call(this, config, ...rest);
      };
      const started = Date.now();
      const before = [];
      for (let i = 0; i < 20; i++) before.push(await createCustomer(api.url, owner.token, { name: `推送前${i}` }));
      await new Promise((r) => setTimeout(r, 500)); // the worker reads them
      const seconds = (Date.now() - started) / 1000;
      pg.Client.prototype.query = query;
      const count = (pattern: RegExp) => statements.filter((text) => pattern.test(text)).length;
      expect(count(/insert into webhook_delivery|with claimed as|update event_log_consumer set transaction_id = \?/i)).toBe(0);
      // The look (one statement that also moves the consumer past the log): on the worker's timer, once a second.
      expect(count(/with idle as/i)).toBeLessThanOrEqual(Math.ceil(seconds) + 2);

      await new Promise((r) => setTimeout(r, 2500)); // a look moves the consumer past those 20
      const endpoint = dataOf(await gql(api.url, CREATE, { input: { url: `${base}/late`, topics: ['customers.customerCreated'] } }, owner.token)).webhookEndpointCreate;
      expect(endpoint.userErrors).toEqual([]);
      const after = [];
      for (let i = 0; i < 5; i++) after.push(await createCustomer(api.url, owner.token, { name: `推送后${i}` }));
      const subjects = () => receiver.on('/late').map((r) => parseGlobalId(r.payload.subject.id)?.id);
      await eventually(() => subjects().length >= 5);
      await new Promise((r) => setTimeout(r, 1000)); // time for a duplicate or an older event to arrive, if one were sent
      expect(subjects().sort()).toEqual(after.map((c) => parseGlobalId(c.id)?.id).sort());
      expect(before.map((c) => parseGlobalId(c.id)?.id).filter((id) => subjects().includes(id))).toEqual([]);
    } finally {
      pg.Client.prototype.query = query;
      await worker.stop();
      await api.stop();
    }
  });
});

describe('an endpoint that keeps failing', () => {
  let shortWindow: TestServer;
  beforeAll(async () => {
    shortWindow = await startTestServer({ env: { WEBHOOK_RETRY_BASE_MS: '200', WEBHOOK_RETRY_WINDOW_SECONDS: '2' } });
  });
  afterAll(async () => {
    await shortWindow?.stop();
  });

  it('is disabled after failing for the retry window (a day; here 2 s), and its owner sees why', async () => {
    const owner = await signUpWorkspace(shortWindow.url, '故障店');
    receiver.answer = (request) => (request.path === '/down' ? 503 : 200);
    try {
      const created = dataOf(await gql(shortWindow.url, CREATE, { input: { url: `${base}/down`, topics: ['customers.customerCreated'] } }, owner.token)).webhookEndpointCreate;
      await createCustomer(shortWindow.url, owner.token, { name: '甲' });
      const endpoint = await eventually(async () => {
        const node = dataOf(await gql(shortWindow.url, DELIVERIES, { id: created.endpoint.id }, owner.token)).node;
        return node.enabled ? undefined : node;
      }, 30_000);
      expect(endpoint.disabledReason).toMatch(/^Every delivery failed since .*; last error: HTTP 503$/);
      expect(endpoint.deliveries.nodes).toEqual([expect.objectContaining({ status: 'FAILED', responseStatus: 503 })]);
      expect(endpoint.deliveries.nodes[0].attempts).toBeGreaterThan(1);
      const attempts = receiver.on('/down').length;
      await createCustomer(shortWindow.url, owner.token, { name: '乙' });
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.on('/down').length).toBe(attempts); // nothing more is sent to a disabled endpoint
    } finally {
      receiver.answer = () => 200;
    }
  });
});

describe('without WEBHOOK_ALLOW_LOCAL (production)', () => {
  it('refuses http URLs, and does not connect to loopback or private addresses', async () => {
    const strict = await startTestServer({ env: { WEBHOOK_ALLOW_LOCAL: 'false', WEBHOOK_RETRY_BASE_MS: '200' } });
    try {
      const owner = await signUpWorkspace(strict.url, '严格店');
      const http = dataOf(await gql(strict.url, CREATE, { input: { url: `${base}/x`, topics: ['customers.customerCreated'] } }, owner.token)).webhookEndpointCreate;
      expect(http.userErrors).toEqual([expect.objectContaining({ field: ['input', 'url'], code: 'INVALID' })]);
      const port = new URL(base).port;
      const created = dataOf(await gql(strict.url, CREATE, { input: { url: `https://127.0.0.1:${port}/ssrf`, topics: ['customers.customerCreated'] } }, owner.token)).webhookEndpointCreate;
      await createCustomer(strict.url, owner.token, { name: '丙' });
      const delivery = await eventually(async () => {
        const [first] = dataOf(await gql(strict.url, DELIVERIES, { id: created.endpoint.id }, owner.token)).node.deliveries.nodes;
        return first?.lastError ? first : undefined;
      });
      expect(delivery.lastError).toMatch(/not allowed/i);
      expect(receiver.on('/ssrf')).toEqual([]);
    } finally {
      await strict.stop();
    }
  });
});
