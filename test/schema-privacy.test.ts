import { gql, subscribe } from './support/client';
import { signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * With introspection off (as in production), error messages must not suggest names ("Did you mean customer?"):
 * they would reveal the schema one guess at a time. With it on (development), they help and stay.
 */
let hidden: TestServer;
let open: TestServer;
beforeAll(async () => {
  hidden = await startTestServer({ env: { GRAPHQL_INTROSPECTION: 'false' } });
  open = await startTestServer({ database: { url: hidden.databaseUrl, name: hidden.databaseName }, env: { GRAPHQL_INTROSPECTION: 'true' } });
});
afterAll(async () => {
  await Promise.all([hidden?.stop(), open?.stop()]);
});

const MISSPELLED = [
  // validation: a field, an argument, a type
  { query: `{ customr(id: "x") { id } }`, variables: {} },
  { query: `{ customers(frist: 1) { totalCount } }`, variables: {} },
  { query: `query($f: CustomerFiltr) { customers(filter: $f) { totalCount } }`, variables: {} },
  // coercion of variables: an input field and an enum value
  { query: `mutation($input: LoginInput!) { login(input: $input) { token } }`, variables: { input: { emial: 'a@b.example', password: 'x' } } },
  { query: `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } } }`, variables: { input: { email: 'a@b.example', password: 'x'.repeat(8), displayName: 'x', role: 'OWNR' } } },
];

it('answers misspelled fields, arguments, types, input fields and enum values over HTTP without suggestions', async () => {
  const owner = await signUpWorkspace(hidden.url);
  for (const { query, variables } of MISSPELLED) {
    const [withoutHints, withHints] = [await gql(hidden.url, query, variables, owner.token), await gql(open.url, query, variables, owner.token)];
    expect(withHints.errors?.[0]?.message).toMatch(/Did you mean/);
    expect(withoutHints.errors).toHaveLength(1);
    expect(withoutHints.errors![0]).toMatchObject({ message: withHints.errors![0].message.replace(/ ?Did you mean.*\?$/, ''), extensions: { code: 'BAD_USER_INPUT' } });
  }
});

it('answers a misspelled subscription over WebSocket without suggestions', async () => {
  const owner = await signUpWorkspace(hidden.url);
  const query = `subscription { auditEntryAdde { id } }`;
  const [withoutHints, withHints] = [subscribe(hidden.wsUrl, query, owner.token), subscribe(open.wsUrl, query, owner.token)];
  try {
    const [refused, hinted] = [await withoutHints.next(), await withHints.next()];
    expect(hinted.errors?.[0]?.message).toMatch(/Did you mean "auditEntryAdded"\?/);
    expect(refused.errors).toEqual([expect.objectContaining({ message: 'Cannot query field "auditEntryAdde" on type "Subscription".' })]);
  } finally {
    await Promise.all([withoutHints.close(), withHints.close()]);
  }
});

it('refuses introspection over WebSocket as over HTTP when it is off', async () => {
  const owner = await signUpWorkspace(hidden.url);
  const query = `{ __schema { queryType { name } } }`;
  expect((await gql(hidden.url, query, {}, owner.token)).errors?.[0]?.message).toMatch(/introspection is not allowed/);
  const [refused, allowed] = [subscribe(hidden.wsUrl, query, owner.token), subscribe(open.wsUrl, query, owner.token)];
  try {
    expect((await allowed.next()).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const answer = await refused.next();
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]?.message).toMatch(/introspection/i);
  } finally {
    await Promise.all([refused.close(), allowed.close()]);
  }
});
