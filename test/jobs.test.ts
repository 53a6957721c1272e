import { migrations } from '../migrations';
import { withDatabase } from '../src/db/embedded-postgres';
import { adminQuery } from './support/database';
import { dataOf, gql } from './support/client';
import { PASSWORD, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

let worker: TestServer;
let noWorkers: TestServer;

beforeAll(async () => {
  noWorkers = await startTestServer({ env: { JOB_WORKERS: 'false' } });
  worker = await startTestServer({ database: { url: noWorkers.databaseUrl, name: noWorkers.databaseName } });
});
afterAll(async () => {
  await worker?.stop();
  await noWorkers?.stop();
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

it('runs a job enqueued on an instance without workers on the instance with workers (session purge)', async () => {
  const shop = await signUpWorkspace(noWorkers.url);
  const login = `mutation { login(input: { email: "${shop.email}", password: "${PASSWORD}" }) { token } }`;
  const stale = dataOf(await gql(noWorkers.url, login)).login.token;
  expect(stale).toBeTruthy();
  // one session long expired, one revoked long ago, the sign-up session current
  await adminQuery(`update session set expires_at = now() - interval '30 days' where id = (select id from session order by created_at desc limit 1)`, noWorkers.databaseName);
  const count = async () => Number((await adminQuery('select count(*) from session', noWorkers.databaseName)).rows[0].count);
  expect(await count()).toBe(2);

  const jobId = await noWorkers.services.jobs.send('identity.purgeSessions');
  expect(jobId).toBeTruthy();
  expect(await waitFor(async () => (await count()) === 1)).toBe(true);
  expect(dataOf(await gql(worker.url, `{ me { id } }`, {}, shop.token)).me.id).toBe(shop.userId);
  const state = await adminQuery(`select state from pgboss.job where id = $1`, noWorkers.databaseName, [jobId]);
  expect(state.rows[0]?.state).toBe('completed');
});

it('registers the nightly schedule once, whatever the number of instances', async () => {
  const schedules = await adminQuery(`select name, cron from pgboss.schedule order by name`, noWorkers.databaseName);
  expect(schedules.rows).toEqual([{ name: 'events.prune', cron: '17 * * * *' }, { name: 'identity.purgeSessions', cron: '17 3 * * *' }]);
});

it('starts several instances at once on an empty database: one migrates and seeds, all serve', async () => {
  const name = `empty_${Date.now()}`;
  await adminQuery(`create database ${name} template template0`);
  const url = withDatabase(process.env.TEST_POSTGRES_URL!, name);
  const instances = await Promise.all([1, 2, 3].map(() => startTestServer({ database: { url, name }, env: { DEMO_DATA: 'true' } })));
  try {
    const counts = await Promise.all(instances.map(async (instance) => (await fetch(instance.url.replace('/graphql', '/readyz'))).status));
    expect(counts).toEqual([200, 200, 200]);
    const applied = await adminQuery('select count(*) from mikro_orm_migrations', name);
    expect(Number(applied.rows[0].count)).toBe(migrations.length);
    expect(instances.filter((instance) => instance.demo?.created)).toHaveLength(1);
    expect(Number((await adminQuery('select count(*) from workspace', name)).rows[0].count)).toBe(1);
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
});

it('a worker that ran a job takes the next at once: a backlog drains faster than one job per polling interval', async () => {
  // Idle workers of this instance poll every 10 s. Twelve jobs at one job per poll would take two minutes; they must
  // all run within one interval of the first (plus slack for a busy machine).
  const slowPolling = await startTestServer({ jobPollingIntervalSeconds: 10 });
  try {
    const ids: Array<string | null> = [];
    for (let i = 0; i < 12; i++) ids.push(await slowPolling.services.jobs.send('identity.purgeSessions'));
    const completed = async () => Number((await adminQuery(`select count(*) from pgboss.job where id = any($1::uuid[]) and state = 'completed'`, slowPolling.databaseName, [ids])).rows[0].count);
    expect(await waitFor(async () => (await completed()) === 12, 30_000)).toBe(true);
  } finally {
    await slowPolling.stop();
  }
}, 60_000);
