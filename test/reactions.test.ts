import { randomUUID } from 'node:crypto';
import { CUSTOMER_EVENTS } from '../modules/customers';
import { RequestContext } from '../src/context';
import { parseGlobalId } from '../src/graphql/global-id';
import { defineEvent, type DomainEvent } from '../src/kernel/events';
import { defineModule, ModuleRegistry, onEvent, type JobDefinition } from '../src/kernel/module';
import { dataOf, gql } from './support/client';
import { createCustomer } from './customers-fixtures';
import { adminQuery } from './support/database';
import { createUserWithRole, signUpWorkspace, type SignedUp } from './support/fixtures';
import { eventually } from './support/eventually';
import { startTestServer, type TestServer } from './support/server';

/**
 * Module reactions: a later module (here "loyalty", registered by the test) reacts to customers' events in a
 * background job, after the change committed, at least once, with retries; and jobs enqueued in a transaction.
 */
const runs: Array<{ position: string; workspaceId: string; customerId: string; attempt: number }> = [];
const attemptsByPosition = new Map<string, number>();
/** Customers (by name) whose reaction fails: twice, or always while `alwaysFail` holds them. */
const flaky = new Set<string>();
const alwaysFail = new Set<string>();
const jobRuns: string[] = [];

const noteJob: JobDefinition<{ workspaceId: string; note: string }> = {
  name: 'loyalty.note',
  async handler(ctx, data) {
    jobRuns.push(`${ctx.workspaceId}:${data.note}`);
  },
};

const loyaltyModule = defineModule({
  name: 'loyalty',
  entities: [],
  resolvers: [],
  permissions: [],
  jobs: [noteJob],
  on: [
    onEvent(CUSTOMER_EVENTS.created, 'welcomePoints', async (ctx, event) => {
      const attempt = (attemptsByPosition.get(event.position) ?? 0) + 1;
      attemptsByPosition.set(event.position, attempt);
      const [customer] = await ctx.em.getConnection().execute('select name from customer where id = ? and workspace_id = ?', [event.subjectId, ctx.workspaceId]);
      // Idempotent by the event's position: the effect is written once however often the handler runs.
      await ctx.em.getConnection().execute(
        'insert into loyalty_points (event_position, workspace_id, customer_id, points) values (?, ?, ?, 100) on conflict (event_position) do nothing',
        [event.position, ctx.workspaceId, event.subjectId],
      );
      runs.push({ position: event.position, workspaceId: ctx.workspaceId, customerId: event.subjectId, attempt });
      if (alwaysFail.has(customer.name) || (flaky.has(customer.name) && attempt <= 2)) throw new Error(`points service unavailable for ${customer.name}`);
    }, { retry: { limit: 2, delaySeconds: 1 } }),
  ],
});

let server: TestServer;
let shop: SignedUp;
beforeAll(async () => {
  server = await startTestServer({ extraModules: [loyaltyModule] });
  await adminQuery('create table loyalty_points (event_position bigint primary key, workspace_id uuid not null, customer_id uuid not null, points int not null)', server.databaseName);
  shop = await signUpWorkspace(server.url, '积分小店');
});
afterAll(async () => {
  await server?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;

const pointsOf = async (customerId: string) =>
  (await adminQuery('select count(*)::int as rows, coalesce(sum(points), 0)::int as points from loyalty_points where customer_id = $1', server.databaseName, [customerId])).rows[0];

it('runs a reaction after the change committed, in the event\'s workspace, with the event\'s position as its key', async () => {
  const customer = await createCustomer(server.url, shop.token, { name: '王芳' });
  const run = await eventually(() => runs.find((r) => r.customerId === uuid(customer.id)));
  expect(run).toMatchObject({ workspaceId: uuid(shop.workspaceId), attempt: 1, position: expect.stringMatching(/^[1-9][0-9]*$/) });
  const [logged] = (await adminQuery(`select position::text from domain_event where topic = 'customers.customerCreated' and subject_id = $1`, server.databaseName, [uuid(customer.id)])).rows;
  expect(run.position).toBe(logged.position);
  expect(await pointsOf(uuid(customer.id))).toEqual({ rows: 1, points: 100 });
});

it('retries a failing reaction with backoff; the effect happens once although the handler ran three times', async () => {
  flaky.add('李雷');
  const customer = await createCustomer(server.url, shop.token, { name: '李雷' });
  await eventually(() => runs.find((r) => r.customerId === uuid(customer.id) && r.attempt === 3));
  expect(await pointsOf(uuid(customer.id))).toEqual({ rows: 1, points: 100 });
});

it('queues nothing for a change that rolled back, and exactly one reaction per committed event', async () => {
  const workspaceId = uuid(shop.workspaceId);
  const ghost = randomUUID();
  const ctx = RequestContext.forSystem(server.services, workspaceId);
  await expect(ctx.transaction(async (tx) => {
    tx.emit(CUSTOMER_EVENTS.created, ghost);
    tx.enqueue(noteJob, { workspaceId, note: 'rolled back' });
    throw new Error('the change fails after emitting');
  })).rejects.toThrow('the change fails');
  await ctx.transaction(async (tx) => tx.enqueue(noteJob, { workspaceId, note: 'committed' }));
  await eventually(() => (jobRuns.includes(`${workspaceId}:committed`) ? true : undefined));
  const queued = await adminQuery(`select count(*)::int as n from pgboss.job where data->'event'->>'subjectId' = $1`, server.databaseName, [ghost]);
  expect(queued.rows[0].n).toBe(0);
  expect((await adminQuery(`select count(*)::int as n from domain_event where subject_id = $1`, server.databaseName, [ghost])).rows[0].n).toBe(0);
  expect(jobRuns).not.toContain(`${workspaceId}:rolled back`);
});

it('lists a reaction that failed after its last retry to the OWNER only, and runs it again on failedJobRetry', async () => {
  alwaysFail.add('韩梅梅');
  const customer = await createCustomer(server.url, shop.token, { name: '韩梅梅' });
  const FAILED = `{ failedJobs { id name reaction eventTopic eventPosition error attempts failedAt } }`;
  const failed = await eventually(async () => {
    const list = dataOf(await gql(server.url, FAILED, {}, shop.token)).failedJobs as any[];
    return list.find((job) => job.error.includes('韩梅梅'));
  }, 30_000);
  expect(failed).toMatchObject({
    name: 'module-reactions', reaction: 'loyalty.welcomePoints', eventTopic: 'customers.customerCreated', attempts: 3,
    error: 'points service unavailable for 韩梅梅',
  });

  const manager = await createUserWithRole(server.url, shop.token, 'MANAGER');
  expect((await gql(server.url, FAILED, {}, manager.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const otherShop = await signUpWorkspace(server.url, '别家');
  expect(dataOf(await gql(server.url, FAILED, {}, otherShop.token)).failedJobs).toEqual([]);
  const RETRY = `mutation($id: ID!) { failedJobRetry(id: $id) { id userErrors { field code } } }`;
  expect(dataOf(await gql(server.url, RETRY, { id: failed.id }, otherShop.token)).failedJobRetry.userErrors).toEqual([{ field: ['id'], code: 'NOT_FOUND' }]);

  alwaysFail.delete('韩梅梅');
  expect(dataOf(await gql(server.url, RETRY, { id: failed.id }, shop.token)).failedJobRetry).toEqual({ id: failed.id, userErrors: [] });
  await eventually(async () => ((await pointsOf(uuid(customer.id))).rows === 1 && runs.some((r) => r.customerId === uuid(customer.id) && r.attempt === 4) ? true : undefined));
  const after = dataOf(await gql(server.url, FAILED, {}, shop.token)).failedJobs as any[];
  expect(after.find((job) => job.id === failed.id)).toBeUndefined();
});

describe('the registry checks events and reactions at start', () => {
  const base = { entities: [], resolvers: [], permissions: [] };
  const SOLD = defineEvent<{ orderId: string }>('shop.itemSold');

  it('refuses a reaction to an event no module declares, a topic declared twice, and a topic outside its module', () => {
    const reacting = defineModule({ ...base, name: 'stats', on: [onEvent(SOLD, 'count', async () => undefined)] });
    expect(() => new ModuleRegistry([reacting])).toThrow('reaction stats.count listens to shop.itemSold, which no module declares');
    const shopModule = defineModule({ ...base, name: 'shop', events: [SOLD] });
    expect(() => new ModuleRegistry([shopModule, reacting])).not.toThrow();
    expect(() => new ModuleRegistry([shopModule, defineModule({ ...base, name: 'shop2', events: [SOLD] })])).toThrow(/must start with "shop2\."/);
    // two modules of one name are refused before their topics are compared (module-registry.test.ts)
    expect(() => new ModuleRegistry([{ ...shopModule, events: [SOLD, SOLD] }])).toThrow('event topic shop.itemSold declared twice');
  });

  it('types the refs: emit, handlers and topics are checked by the compiler', () => {
    expect(() => defineEvent('NotATopic')).toThrow('is not <module>.<camelCaseName>');
    // Compile-time checks (this file does not compile if they break):
    const handler = async (_ctx: RequestContext, event: DomainEvent<{ orderId: string }>) => {
      const orderId: string = event.refs.orderId;
      return void orderId;
    };
    onEvent(SOLD, 'typed', handler);
    // @ts-expect-error refs of another shape are refused
    onEvent(SOLD, 'wrong', async (_ctx, event: DomainEvent<{ ticketId: string }>) => void event);
  });
});
