import { Workspace } from '../src/auth/entities';
import { RequestContext } from '../src/context';
import { parseGlobalId } from '../src/graphql/global-id';
import { signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/** ctx.transaction runs again a transaction that PostgreSQL aborted to break a deadlock. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

it('retries the transaction PostgreSQL chose as the deadlock victim, so both writers succeed', async () => {
  const [a, b] = await Promise.all([signUpWorkspace(server.url, '甲'), signUpWorkspace(server.url, '乙')]);
  const ids = [parseGlobalId(a.workspaceId)!.id, parseGlobalId(b.workspaceId)!.id];
  // Both transactions lock their first row, wait for each other, then want the other's row: a deadlock.
  let arrived = 0;
  let release!: () => void;
  const bothHoldFirstLock = new Promise<void>((resolve) => (release = resolve));
  const attempts = [0, 0];
  const writer = (first: number, second: number) => {
    const ctx = RequestContext.forSystem(server.services);
    return ctx.transaction(async (tx) => {
      attempts[first] += 1;
      await tx.em.nativeUpdate(Workspace, { id: ids[first] }, { name: `写者${first}` }, { filters: false });
      if (++arrived === 2) release();
      await bothHoldFirstLock;
      await tx.em.nativeUpdate(Workspace, { id: ids[second] }, { name: `写者${first}` }, { filters: false });
      return first;
    });
  };
  const results = await Promise.all([writer(0, 1), writer(1, 0)]);
  expect(results).toEqual([0, 1]);
  expect(attempts[0] + attempts[1]).toBe(3); // the victim ran twice
});

it('a transaction inside a transaction is a savepoint: its failure undoes its own writes only', async () => {
  const [a, b] = await Promise.all([signUpWorkspace(server.url, '外层'), signUpWorkspace(server.url, '内层')]);
  const [outerId, innerId] = [parseGlobalId(a.workspaceId)!.id, parseGlobalId(b.workspaceId)!.id];
  const ctx = RequestContext.forSystem(server.services, outerId);
  await ctx.transaction(async (tx) => {
    const outer = await tx.em.findOneOrFail(Workspace, outerId, { filters: false });
    outer.name = '外层已改';
    await expect(
      tx.context().transaction(async (inner) => {
        await inner.em.nativeUpdate(Workspace, { id: innerId }, { name: '内层已改' }, { filters: false });
        throw new Error('inner fails');
      }),
    ).rejects.toThrow('inner fails');
  });
  const names = await server.services.orm.em.fork().find(Workspace, { id: { $in: [outerId, innerId] } }, { filters: false });
  expect(Object.fromEntries(names.map((w) => [w.id, w.name]))).toEqual({ [outerId]: '外层已改', [innerId]: '内层' });
});

it('a transaction without events or jobs is flushed once (by MikroORM, before COMMIT), and its changes are written', async () => {
  const a = await signUpWorkspace(server.url, '一次刷新');
  const id = parseGlobalId(a.workspaceId)!.id;
  let flushes = 0;
  let transactionEm: unknown;
  // Only this transaction's flushes: the server's background work (reactions, jobs) flushes meanwhile too.
  server.services.orm.em.getEventManager().registerSubscriber({ beforeFlush: ({ em }) => void (em === transactionEm && (flushes += 1)) });
  await RequestContext.forSystem(server.services, id).transaction(async (tx) => {
    transactionEm = tx.em;
    (await tx.em.findOneOrFail(Workspace, id, { filters: false })).name = '改过';
  });
  expect(flushes).toBe(1);
  const fresh = RequestContext.forSystem(server.services, id);
  expect((await fresh.em.findOneOrFail(Workspace, id, { filters: false })).name).toBe('改过');
});
