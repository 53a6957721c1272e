import { readFileSync } from 'node:fs';
import path from 'node:path';
import { adminQuery } from './support/database';
import { dataOf, gql } from './support/client';
import { signUpWorkspace } from './support/fixtures';
import { startTestServer } from './support/server';

const count = async (database: string, sql: string) => Number((await adminQuery(sql, database)).rows[0].count);

it('seeds the demo workspace once, each module once, and finishes a module that was not seeded', async () => {
  const first = await startTestServer({ env: { DEMO_DATA: 'true' } });
  const db = { url: first.databaseUrl, name: first.databaseName };
  try {
    expect(first.demo).toMatchObject({ created: true, seededModules: ['customers'], workspaceName: '小鹿优选旗舰店' });
    const login = dataOf(await gql(first.url, `mutation { login(input: { email: "crm@xiaolu.example", password: "demo12345" }) { token } }`)).login.token;
    expect(dataOf(await gql(first.url, `{ customers(first: 1) { totalCount } }`, {}, login)).customers.totalCount).toBe(50);
  } finally {
    await first.stop();
  }

  const second = await startTestServer({ database: db, env: { DEMO_DATA: 'true' } });
  await second.stop();
  expect(second.demo).toMatchObject({ created: false, seededModules: [] });
  expect(await count(db.name, 'select count(*) from customer')).toBe(50);

  // as if the customers module had been added after the demo workspace was made
  await adminQuery(`delete from customer_tag; delete from follow_up; delete from order_item; delete from customer_order; delete from customer_external_id; delete from consent_record; delete from customer; delete from tag; delete from demo_seed`, db.name);
  const third = await startTestServer({ database: db, env: { DEMO_DATA: 'true' } });
  await third.stop();
  expect(third.demo).toMatchObject({ created: false, seededModules: ['customers'] });
  expect(await count(db.name, 'select count(*) from customer')).toBe(50);
  expect(await count(db.name, 'select count(*) from workspace')).toBe(1);
});

it('leaves a database that holds other workspaces alone', async () => {
  const plain = await startTestServer();
  await signUpWorkspace(plain.url, '真实店铺');
  await plain.stop();
  const withDemo = await startTestServer({ database: { url: plain.databaseUrl, name: plain.databaseName }, env: { DEMO_DATA: 'true' } });
  await withDemo.stop();
  expect(withDemo.demo).toBeUndefined();
  expect(await count(plain.databaseName, 'select count(*) from workspace')).toBe(1);
});

it('runs every README example against the demo workspace without errors', async () => {
  const server = await startTestServer({ env: { DEMO_DATA: 'true' } });
  try {
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]).filter((e) => !e.trimStart().startsWith('subscription'));
    const token = dataOf(await gql(server.url, `mutation { login(input: { email: "owner@xiaolu.example", password: "demo12345" }) { token } }`)).login.token;
    for (const example of examples) {
      const result = await gql(server.url, example, {}, token);
      expect({ example, errors: result.errors }).toEqual({ example, errors: undefined });
      const payloads = Object.values(result.data ?? {}) as Array<{ userErrors?: unknown[] } | null>;
      for (const payload of payloads) expect(payload?.userErrors ?? []).toEqual([]);
    }
  } finally {
    await server.stop();
  }
});
