import { dataOf, gql } from './support/client';
import { signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * An EntityManager fork costs about 20 µs (MikroORM writes process.env in it): authentication makes none, and a
 * request makes its own only when it reaches the database through its context (src/context/request-context.ts).
 */
let server: TestServer;
let owner: SignedUp;
beforeAll(async () => {
  // No job workers: their background passes (webhook delivery) fork too, and would be counted.
  server = await startTestServer({ env: { JOB_WORKERS: 'false' } });
  owner = await signUpWorkspace(server.url);
});
afterAll(async () => {
  await server?.stop();
});

async function forksFor(query: string, token?: string): Promise<number> {
  const fork = jest.spyOn(server.services.orm.em, 'fork');
  try {
    dataOf(await gql(server.url, query, {}, token));
    return fork.mock.calls.length;
  } finally {
    fork.mockRestore();
  }
}

it('an authenticated request that reads nothing through its context makes no fork', async () => {
  expect(await forksFor('{ __typename }', owner.token)).toBe(0);
  expect(await forksFor('{ __typename }')).toBe(0);
  // `me` is answered from the principal (userOfPrincipal): no database, so no fork either.
  expect(await forksFor('{ me { id email } }', owner.token)).toBe(0);
});

it('a request that reads through its context makes one fork, for the whole request', async () => {
  expect(await forksFor('{ users(first: 5) { nodes { id } } me { id workspace { name } } }', owner.token)).toBe(1);
});
