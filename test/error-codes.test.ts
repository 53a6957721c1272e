import { Writable } from 'node:stream';
import { dataOf, gql, subscribe } from './support/client';
import { createApiKey, createUserWithRole, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { CUSTOMER_CREATE, createCustomer, ORDER_UPSERT, order, TAG_CREATE } from './customers-fixtures';

/** Issue 6, point 12: errors a frontend can act on, and the log naming the codes the client received. */
const logLines: Record<string, any>[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ logStream });
});
afterAll(async () => {
  await server?.stop();
});

const EXPORT = `query($id: ID!) { customerDataExport(id: $id) }`;

describe('FORBIDDEN names the missing permission', () => {
  it('over HTTP: from @Authorized on queries and mutations, and from node(id)', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const analyst = await createUserWithRole(server.url, owner.token, 'ANALYST');

    const tag = await gql(server.url, TAG_CREATE, { input: { name: 'VIP', group: 'CONSUMPTION' } }, agent.token);
    expect(tag.errors?.[0]).toMatchObject({
      path: ['tagCreate'],
      extensions: { code: 'FORBIDDEN', requiredPermissions: ['customers:write'], missingPermissions: ['customers:write'] },
    });
    expect(tag.errors?.[0].message).toContain('customers:write');

    // two permissions required, the analyst holds one of them
    const customer = await createCustomer(server.url, owner.token, { name: '张三' });
    const exported = await gql(server.url, EXPORT, { id: customer.id }, analyst.token);
    expect(exported.errors?.[0].extensions).toEqual({
      code: 'FORBIDDEN', requiredPermissions: ['customers:read', 'customers:pii'], missingPermissions: ['customers:pii'],
    });

    // an API key reaching a user through node(id) without users:read
    const key = await createApiKey(server.url, owner.token, ['customers:read']);
    const node = await gql(server.url, `query($id: ID!) { node(id: $id) { id } }`, { id: agent.userId }, key.secret);
    expect(node.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', missingPermissions: ['users:read'] });
  });

  it('over WebSocket: a subscription refused at its start', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const stream = subscribe(server.wsUrl, `subscription Audit { auditEntryAdded { position } }`, agent.token);
    try {
      const refused = await stream.next();
      expect(refused.errors?.[0].extensions).toEqual({ code: 'FORBIDDEN', requiredPermissions: ['audit:read'], missingPermissions: ['audit:read'] });
      // the log names the code the client received
      expect(logLines).toContainEqual(expect.objectContaining({ msg: 'graphql errors', transport: 'websocket', errors: ['FORBIDDEN'] }));
    } finally {
      await stream.close();
    }
  });
});

describe('userError codes', () => {
  let owner: Awaited<ReturnType<typeof signUpWorkspace>>;
  beforeAll(async () => {
    owner = await signUpWorkspace(server.url);
  });
  const codesOf = async (mutation: string, input: Record<string, unknown>) => {
    const data = dataOf(await gql(server.url, mutation, { input }, owner.token));
    return (Object.values(data)[0] as { userErrors: { field: string[]; code: string }[] }).userErrors.map((e) => [e.field.join('.'), e.code]);
  };

  it('name what is wrong with a customer', async () => {
    expect(await codesOf(CUSTOMER_CREATE, {
      name: '   ', email: 'not-an-email', birthday: '2999-01-01', merchant: { shopName: '小店' },
    })).toEqual(expect.arrayContaining([
      ['input.name', 'REQUIRED'], ['input.email', 'EMAIL_INVALID'],
    ]));
    // rules checked once the input is well-formed
    expect(await codesOf(CUSTOMER_CREATE, { name: '李四', birthday: '2999-01-01', merchant: { shopName: '小店' } })).toEqual(
      expect.arrayContaining([['input.birthday', 'DATE_IN_FUTURE'], ['input.merchant', 'KIND_MISMATCH']]),
    );
    expect(await codesOf(CUSTOMER_CREATE, { name: '王五', externalIds: [{ platform: 'tao bao', value: 'x' }] })).toEqual([
      ['input.externalIds.0.platform', 'CODE_INVALID'],
    ]);
  });

  it('name what is wrong with an order', async () => {
    const customer = await createCustomer(server.url, owner.token, { name: '赵六' });
    const row = (overrides: Record<string, unknown>) => order({ customerId: customer.id, ...overrides });
    expect(await codesOf(ORDER_UPSERT, row({ totalAmount: '1.234', currency: 'ABC', platform: '淘宝' }))).toEqual(expect.arrayContaining([
      ['input.totalAmount', 'AMOUNT_INVALID'], ['input.currency', 'CURRENCY_INVALID'], ['input.platform', 'CODE_INVALID'],
    ]));
    expect(await codesOf(ORDER_UPSERT, row({ totalAmount: '100.00' }))).toEqual([['input.totalAmount', 'AMOUNT_MISMATCH']]);
    expect(await codesOf(ORDER_UPSERT, row({ paidAt: '2025-02-01T00:00:00Z' }))).toEqual([['input.paidAt', 'DATE_OUT_OF_ORDER']]);
    expect(await codesOf(ORDER_UPSERT, row({ customerExternalId: 'buyer-1' }))).toEqual([['input.customerId', 'ONE_OF_REQUIRED']]);
    expect(await codesOf(ORDER_UPSERT, row({ items: [{ sku: 'S', title: 'T', quantity: 0, unitPrice: '1.00' }], totalAmount: '0.00' }))).toEqual([
      ['input.items.0.quantity', 'TOO_SMALL'],
    ]);
  });

  it('a query filter breaking a rule is BAD_USER_INPUT with the field and the code as its reason', async () => {
    const response = await gql(server.url, `query($s: String) { customers(filter: { search: $s }) { totalCount } }`, { s: 'x'.repeat(101) }, owner.token);
    expect(response.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: ['filter', 'search'], reason: 'TOO_LONG' });
  });
});

describe('the request log', () => {
  const linesOf = (requestId: string) => logLines.filter((l) => l.requestId === requestId && l.msg === 'graphql request');
  const post = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const requestId = `log-test-${Math.random().toString(36).slice(2)}`;
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { requestId, body: (await response.json()) as any };
  };

  it('names the error codes as the client received them, and the userError codes', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');

    // graphql-js reports GRAPHQL_VALIDATION_FAILED; the client gets BAD_USER_INPUT, and so does the log
    const invalid = await post(`{ customers { nope } }`, {}, owner.token);
    expect(invalid.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(linesOf(invalid.requestId)).toEqual([expect.objectContaining({ errors: ['BAD_USER_INPUT'] })]);

    const forbidden = await post(TAG_CREATE, { input: { name: 'VIP', group: 'CONSUMPTION' } }, agent.token);
    expect(forbidden.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(linesOf(forbidden.requestId)).toEqual([expect.objectContaining({ errors: ['FORBIDDEN'] })]);

    // refused before execution over WebSocket (validation), logged as the client received it
    const wsInvalid = subscribe(server.wsUrl, `subscription Invalid { nope }`, owner.token);
    try {
      expect((await wsInvalid.next()).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    } finally {
      await wsInvalid.close();
    }
    expect(logLines).toContainEqual(expect.objectContaining({ msg: 'graphql errors', transport: 'websocket', errors: ['BAD_USER_INPUT'] }));

    const refused = await post(CUSTOMER_CREATE, { input: { name: '孙七', email: 'nope' } }, owner.token);
    expect(refused.body.data.customerCreate.userErrors).toEqual([expect.objectContaining({ code: 'EMAIL_INVALID' })]);
    const [line] = linesOf(refused.requestId);
    expect(line.userErrors).toEqual(['EMAIL_INVALID']);
    expect(line.errors).toBeUndefined();
  });
});
