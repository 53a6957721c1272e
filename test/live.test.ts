import { liveProbeModule, PROBE_TYPING } from '../bench/live-module';
import { parseGlobalId } from '../src/graphql/global-id';
import type { DomainEvent } from '../src/kernel/events';
import { SIGNALS_LISTENER_NAME } from '../src/kernel/signals';
import { dataOf, gql, subscribe, type Subscription } from './support/client';
import { createCustomer } from './customers-fixtures';
import { adminQuery } from './support/database';
import { eventually } from './support/eventually';
import { createUserWithRole, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * Live updates at scale (issue 9): subscriptions filtered by an event's refs (`workspaceEvents(EVENT, { match })`),
 * live and on replay, and ephemeral signals across instances. Two instances on one database; the probe module
 * (bench/live-module.ts) supplies the fields: `customerFollowedUp(customerId)` over `customers.followUpCreated` (refs
 * { customerId }) and `probeTyping(key)` / `probeTypingSend` over a signal.
 */
let instanceA: TestServer;
let instanceB: TestServer;
let shop: SignedUp;
let otherShop: SignedUp;

beforeAll(async () => {
  instanceA = await startTestServer({ extraModules: [liveProbeModule] });
  instanceB = await startTestServer({ database: { url: instanceA.databaseUrl, name: instanceA.databaseName }, extraModules: [liveProbeModule] });
  shop = await signUpWorkspace(instanceA.url, '实时小店');
  otherShop = await signUpWorkspace(instanceA.url, '隔壁小店');
});
afterAll(async () => {
  await instanceB?.stop();
  await instanceA?.stop();
});

const FOLLOWED_UP = `subscription($customerId: ID!, $after: String) {
  customerFollowedUp(customerId: $customerId, after: $after) { position topic followUpId customer { id name } } }`;
const FOLLOW_UP_CREATE = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { followUp { id } userErrors { code } } }`;
const TYPING = `subscription($key: String) { probeTyping(key: $key) { key typing sentAt } }`;
const TYPING_SEND = `mutation($key: String!, $typing: Boolean!) { probeTypingSend(key: $key, typing: $typing) }`;

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;

type FollowedUp = { customerFollowedUp: { position: string; followUpId: string; customer: { id: string; name: string } } };
type Typing = { probeTyping: { key: string; typing: boolean; sentAt: string } };

/** Records a follow-up for the customer on instance A; returns the follow-up's uuid (what the event carries). */
async function followUp(token: string, customerId: string): Promise<string> {
  const created = dataOf(await gql(instanceA.url, FOLLOW_UP_CREATE, { input: { customerId, method: 'PHONE', content: '回访' } }, token));
  expect(created.followUpCreate.userErrors).toEqual([]);
  return uuid(created.followUpCreate.followUp.id);
}

/**
 * Repeats `send` until the subscription receives something `isOwn` accepts: from then on it is surely registered on its
 * instance, so what follows is delivered (no fixed sleep that a busy machine outlasts).
 */
async function untilListening<T>(stream: Subscription<T>, send: () => Promise<unknown>, isOwn: (event: { data?: T; errors?: any[] }) => boolean) {
  for (let attempt = 0; ; attempt++) {
    await send();
    try {
      await stream.until(isOwn, 1000);
      return;
    } catch (error) {
      if (attempt === 20) throw error;
    }
  }
}

/** Events until (and with) the one of this follow-up. */
async function eventsUntil(stream: Subscription<FollowedUp>, followUpId: string) {
  const received: FollowedUp['customerFollowedUp'][] = [];
  for (;;) {
    const event = await stream.next(10_000);
    expect(event.errors).toBeUndefined();
    received.push(event.data!.customerFollowedUp);
    if (event.data!.customerFollowedUp.followUpId === followUpId) return received;
  }
}

describe('subscriptions filtered by a ref', () => {
  it("delivers to a subscriber on instance B only its customer's follow-ups, none of another customer's", async () => {
    const mine = await createCustomer(instanceA.url, shop.token, { name: '张三' });
    const theirs = await createCustomer(instanceA.url, shop.token, { name: '李四' });
    const stream = subscribe<FollowedUp>(instanceB.wsUrl, FOLLOWED_UP, shop.token, { customerId: mine.id });
    const watchingTheirs = subscribe<FollowedUp>(instanceB.wsUrl, FOLLOWED_UP, shop.token, { customerId: theirs.id });
    try {
      await untilListening(stream, () => followUp(shop.token, mine.id), () => true);
      await untilListening(watchingTheirs, () => followUp(shop.token, theirs.id), () => true);
      await followUp(shop.token, theirs.id);
      const lastOfTheirs = await followUp(shop.token, theirs.id);
      const lastOfMine = await followUp(shop.token, mine.id);
      // Delivered in log order: a leaked follow-up of the other customer would come before mine.
      const received = await eventsUntil(stream, lastOfMine);
      expect(received.every((event) => event.customer.id === mine.id)).toBe(true);
      expect(received[received.length - 1]).toMatchObject({ topic: 'customers.followUpCreated', customer: { id: mine.id, name: '张三' } });
      const theirsReceived = await eventsUntil(watchingTheirs, lastOfTheirs);
      expect(theirsReceived.every((event) => event.customer.id === theirs.id)).toBe(true);
    } finally {
      await Promise.all([stream.close(), watchingTheirs.close()]);
    }
  });

  it('applies the same filter on replay: resuming with `after` brings only the missed events of its customer, in order', async () => {
    const mine = await createCustomer(instanceA.url, shop.token, { name: '王五' });
    const theirs = await createCustomer(instanceA.url, shop.token, { name: '赵六' });
    const first = subscribe<FollowedUp>(instanceB.wsUrl, FOLLOWED_UP, shop.token, { customerId: mine.id });
    let lastSeen: string;
    try {
      let seenFollowUp = '';
      await untilListening(first, async () => (seenFollowUp = await followUp(shop.token, mine.id)), (e) => e.data?.customerFollowedUp.followUpId === seenFollowUp);
      lastSeen = (await eventsUntil(first, await followUp(shop.token, mine.id))).pop()!.position;
    } finally {
      await first.close();
    }
    await followUp(shop.token, theirs.id);
    const missed1 = await followUp(shop.token, mine.id);
    await followUp(shop.token, theirs.id);
    const missed2 = await followUp(shop.token, mine.id);
    await followUp(shop.token, theirs.id);
    const resumed = subscribe<FollowedUp>(instanceB.wsUrl, FOLLOWED_UP, shop.token, { customerId: mine.id, after: lastSeen });
    try {
      expect((await resumed.next(10_000)).data?.customerFollowedUp.followUpId).toBe(missed1);
      expect((await resumed.next(10_000)).data?.customerFollowedUp.followUpId).toBe(missed2);
      const live = await followUp(shop.token, mine.id);
      expect((await resumed.next(10_000)).data?.customerFollowedUp.followUpId).toBe(live);
    } finally {
      await resumed.close();
    }
  });

  it("gives a subscriber of another workspace nothing, even when it names this workspace's customer", async () => {
    const mine = await createCustomer(instanceA.url, shop.token, { name: '孙七' });
    // Opened first, so that it is registered before the sentinel below has heard anything.
    const foreign = subscribe<FollowedUp>(instanceB.wsUrl, FOLLOWED_UP, otherShop.token, { customerId: mine.id });
    const sentinel = subscribe<FollowedUp>(instanceB.wsUrl, FOLLOWED_UP, shop.token, { customerId: mine.id });
    try {
      await untilListening(sentinel, () => followUp(shop.token, mine.id), () => true);
      await eventsUntil(sentinel, await followUp(shop.token, mine.id));
      await expect(foreign.next(1000)).rejects.toThrow(/no subscription event/);
    } finally {
      await Promise.all([foreign.close(), sentinel.close()]);
    }
  });

  it('takes several matches as "any of these" (my assignments: assigned to me, or taken from me), each event once, live and on replay', async () => {
    const [x, y, z] = await Promise.all(['甲', '乙', '丙'].map((name) => createCustomer(instanceA.url, shop.token, { name })));
    const workspaceId = uuid(shop.workspaceId);
    const topics = ['customers.followUpCreated'];
    // x's events meet both matches of the second subscriber: they still come once.
    const live = instanceB.services.events.subscribe({ workspaceId, topics, match: [{ customerId: uuid(x.id) }, { customerId: uuid(y.id) }] })[Symbol.asyncIterator]();
    const overlapping = instanceB.services.events.subscribe({ workspaceId, topics, match: [{ customerId: uuid(x.id) }, {}] })[Symbol.asyncIterator]();
    const nextOf = async (iterator: AsyncIterator<DomainEvent>) => (await Promise.race([iterator.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event within 10 s')), 10_000))])).value as DomainEvent;
    try {
      const firstLive = nextOf(live);
      const firstOverlapping = nextOf(overlapping); // both registered from here on
      const forX = await followUp(shop.token, x.id);
      await followUp(shop.token, z.id);
      const forY = await followUp(shop.token, y.id);
      expect((await firstLive).subjectId).toBe(forX);
      expect((await nextOf(live)).subjectId).toBe(forY);
      const overlapped = [await firstOverlapping, await nextOf(overlapping), await nextOf(overlapping)].map((event) => event.subjectId);
      expect(overlapped).toEqual([forX, expect.any(String), forY]); // x once, z, then y: nothing twice

      const resumed = instanceB.services.events.subscribe({ workspaceId, topics, match: [{ customerId: uuid(x.id) }, { customerId: uuid(y.id) }], after: (await firstLive).position })[Symbol.asyncIterator]();
      try {
        expect((await nextOf(resumed)).subjectId).toBe(forY);
      } finally {
        await resumed.return?.();
      }
    } finally {
      await Promise.all([live.return?.(), overlapping.return?.()]);
    }
  });

  it('refuses an id that is not a customer\'s with BAD_USER_INPUT', async () => {
    const stream = subscribe<FollowedUp>(instanceB.wsUrl, FOLLOWED_UP, shop.token, { customerId: 'not-an-id' });
    try {
      const event = await stream.next(10_000);
      expect(event.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'customerId' } });
    } finally {
      await stream.close();
    }
  });
});

describe('one read of the record per event and instance', () => {
  it('shares the row, not the answer: an ANALYST and an OWNER on one instance get the same customer, the phone masked for the ANALYST only', async () => {
    const customer = await createCustomer(instanceA.url, shop.token, { name: '周八', phone: '13812345678' });
    const analyst = await createUserWithRole(instanceA.url, shop.token, 'ANALYST');
    const WITH_PHONE = `subscription($customerId: ID!) { customerFollowedUp(customerId: $customerId) { followUpId customer { id name phone } } }`;
    const owner = subscribe<any>(instanceB.wsUrl, WITH_PHONE, shop.token, { customerId: customer.id });
    const masked = subscribe<any>(instanceB.wsUrl, WITH_PHONE, analyst.token, { customerId: customer.id });
    try {
      await untilListening(owner, () => followUp(shop.token, customer.id), () => true);
      await untilListening(masked, () => followUp(shop.token, customer.id), () => true);
      const last = await followUp(shop.token, customer.id);
      const [forOwner, forAnalyst] = await Promise.all([owner, masked].map((stream) => stream.until((e) => e.data?.customerFollowedUp.followUpId === last, 10_000)));
      expect(forOwner.data.customerFollowedUp.customer).toEqual({ id: customer.id, name: '周八', phone: '13812345678' });
      expect(forAnalyst.data.customerFollowedUp.customer).toMatchObject({ id: customer.id, name: '周八' });
      expect(forAnalyst.data.customerFollowedUp.customer.phone).not.toBe('13812345678');
    } finally {
      await Promise.all([owner.close(), masked.close()]);
    }
  });

  it('runs the read once for the subscribers of one event (EventLog.readOnce), and again for the next event', async () => {
    const events = instanceB.services.events;
    const event = { position: '1', workspaceId: uuid(shop.workspaceId) } as DomainEvent;
    let reads = 0;
    const read = async () => ++reads;
    expect(await Promise.all([events.readOnce(event, 'Customer:x', read), events.readOnce(event, 'Customer:x', read)])).toEqual([1, 1]);
    expect(await events.readOnce({ ...event, position: '2' }, 'Customer:x', read)).toBe(2);
    expect(await events.readOnce(event, 'Customer:y', read)).toBe(3);
  });
});

describe('signals', () => {
  const send = (url: string, token: string, key: string, typing: boolean) => gql(url, TYPING_SEND, { key, typing }, token).then(dataOf);

  it('reach subscribers of their key on the other instance and on the sender\'s own, and not those of another key', async () => {
    const onB = subscribe<Typing>(instanceB.wsUrl, TYPING, shop.token, { key: 'conversation-1' });
    const onA = subscribe<Typing>(instanceA.wsUrl, TYPING, shop.token, { key: 'conversation-1' });
    const otherKey = subscribe<Typing>(instanceB.wsUrl, TYPING, shop.token, { key: 'conversation-2' });
    try {
      await untilListening(onB, () => send(instanceA.url, shop.token, 'conversation-1', true), () => true);
      await untilListening(onA, () => send(instanceA.url, shop.token, 'conversation-1', true), () => true);
      await untilListening(otherKey, () => send(instanceA.url, shop.token, 'conversation-2', true), () => true);
      await send(instanceA.url, shop.token, 'conversation-1', false);
      for (const stream of [onA, onB]) {
        const stopped = await stream.until((e) => e.data?.probeTyping.typing === false, 10_000);
        expect(stopped.data?.probeTyping).toMatchObject({ key: 'conversation-1', typing: false, sentAt: expect.any(String) });
      }
      // The other key's subscriber heard only its own key.
      await send(instanceA.url, shop.token, 'conversation-2', false);
      const own = await otherKey.until((e) => e.data?.probeTyping.typing === false, 10_000);
      expect(own.data?.probeTyping.key).toBe('conversation-2');
    } finally {
      await Promise.all([onA.close(), onB.close(), otherKey.close()]);
    }
  });

  it('stay in their workspace: the same key in another workspace hears nothing of this one', async () => {
    const foreign = subscribe<Typing>(instanceB.wsUrl, TYPING, otherShop.token, { key: 'shared-key' });
    const ours = subscribe<Typing>(instanceB.wsUrl, TYPING, shop.token, { key: 'shared-key' });
    try {
      // The other workspace types `false` on the key, ours `true`: each must hear only its own.
      await untilListening(foreign, () => send(instanceA.url, otherShop.token, 'shared-key', false), () => true);
      await untilListening(ours, () => send(instanceA.url, shop.token, 'shared-key', true), () => true);
      await send(instanceA.url, shop.token, 'shared-key', true);
      await send(instanceA.url, otherShop.token, 'shared-key', false);
      const marker = await foreign.until(() => true, 10_000);
      expect(marker.data?.probeTyping.typing).toBe(false);
      await expect(foreign.until((e) => e.data?.probeTyping.typing === true, 1000)).rejects.toThrow(/no subscription event/);
      await expect(ours.until((e) => e.data?.probeTyping.typing === false, 1000)).rejects.toThrow(/no subscription event/);
    } finally {
      await Promise.all([foreign.close(), ours.close()]);
    }
  });

  it('are not stored: a subscriber that starts later gets nothing sent before it', async () => {
    await send(instanceA.url, shop.token, 'before-anyone', true);
    const late = subscribe<Typing>(instanceB.wsUrl, TYPING, shop.token, { key: 'before-anyone' });
    try {
      // Only `false` is sent from now on: a stored `true` would be the first thing the subscriber hears.
      let first: { data?: Typing } | undefined;
      for (let attempt = 0; !first && attempt < 20; attempt++) {
        await send(instanceA.url, shop.token, 'before-anyone', false);
        first = await late.next(1000).catch(() => undefined);
      }
      expect(first?.data?.probeTyping).toMatchObject({ key: 'before-anyone', typing: false });
    } finally {
      await late.close();
    }
  });

  it('reach subscribers again once an instance\'s listening connection, lost, is back (what was sent meanwhile is gone)', async () => {
    const stream = subscribe<Typing>(instanceB.wsUrl, TYPING, shop.token, { key: 'after-outage' });
    try {
      await untilListening(stream, () => send(instanceA.url, shop.token, 'after-outage', true), () => true);
      const terminated = await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = $2`, 'postgres', [instanceA.databaseName, SIGNALS_LISTENER_NAME]);
      expect(terminated.rowCount).toBe(2); // one per instance
      await eventually(() => instanceA.services.signals.listening && instanceB.services.signals.listening);
      await untilListening(stream, () => send(instanceA.url, shop.token, 'after-outage', false), (e) => e.data?.probeTyping.typing === false);
    } finally {
      await stream.close();
    }
  });

  it('refuse a signal larger than a NOTIFY may carry', async () => {
    await expect(instanceA.services.signals.publish(uuid(shop.workspaceId), PROBE_TYPING, 'x'.repeat(8000), { typing: true })).rejects.toThrow(/larger than 7900 bytes/);
  });
});
