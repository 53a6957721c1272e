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
    expect(first.demo).toMatchObject({ created: true, seededModules: ['customers', 'conversations'], workspaceName: '小鹿优选旗舰店' });
    const login = dataOf(await gql(first.url, `mutation { login(input: { email: "crm@xiaolu.example", password: "demo12345" }) { token } }`)).login.token;
    expect(dataOf(await gql(first.url, `{ customers(first: 1) { totalCount } }`, {}, login)).customers.totalCount).toBe(50);
    // Conversations: two groups of five agents, routed and assigned by the engine (four agents online, two slots
    // each), two of them rated history; the rest in progress or waiting.
    const { rows: groups } = await adminQuery(`select g.name, count(*)::int as members from service_group g join service_group_member m on m.group_id = g.id group by g.name order by g.name`, db.name);
    expect(groups).toEqual([{ name: '售前组', members: 3 }, { name: '售后组', members: 3 }]);
    const { rows: statuses } = await adminQuery(`select status, count(*)::int as n, count(rating_score)::int as rated from conversation group by status order by status`, db.name);
    expect(statuses.reduce((sum, row) => sum + row.n, 0)).toBe(7);
    expect(statuses.find((row) => row.status === 'CLOSED')).toEqual({ status: 'CLOSED', n: 2, rated: 2 });
    const { rows: load } = await adminQuery(`select count(*)::int as n from agent_state s where s.active_count <> (select count(*) from conversation c where c.assignee_id = s.agent_id and c.status = 'ACTIVE')`, db.name);
    expect(load).toEqual([{ n: 0 }]);
  } finally {
    await first.stop();
  }

  const second = await startTestServer({ database: db, env: { DEMO_DATA: 'true' } });
  await second.stop();
  expect(second.demo).toMatchObject({ created: false, seededModules: [] });
  expect(await count(db.name, 'select count(*) from customer')).toBe(50);

  // as if the customers (and so the conversations) module had been added after the demo workspace was made
  await adminQuery(`delete from message; delete from assignment; delete from conversation; delete from page_view; delete from visitor; delete from quick_reply;
    delete from routing_rule; delete from channel; delete from service_group_member; delete from service_group; delete from agent_state`, db.name);
  await adminQuery(`delete from customer_tag; delete from follow_up; delete from order_item; delete from customer_order; delete from customer_external_id; delete from consent_record; delete from customer; delete from tag; delete from demo_seed`, db.name);
  const third = await startTestServer({ database: db, env: { DEMO_DATA: 'true' } });
  await third.stop();
  expect(third.demo).toMatchObject({ created: false, seededModules: ['customers', 'conversations'] });
  expect(await count(db.name, 'select count(*) from customer')).toBe(50);
  expect(await count(db.name, 'select count(*) from workspace')).toBe(1);
// Three server starts, each seeding or checking both modules' demo rows: a minute on a busy 2-core machine.
}, 90_000);

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
