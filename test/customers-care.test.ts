import { dataOf, gql } from './support/client';
import { createUserWithRole, signUpWorkspace, workspaceDate } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { createCustomer, createTag, ORDER_UPSERT, order, TAG_CREATE } from './customers-fixtures';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const TAGS = `mutation($input: CustomerTagsInput!, $add: Boolean!) {
  add: customerTagsAdd(input: $input) @include(if: $add) { customers { name tags { name } } userErrors { field code } }
  remove: customerTagsRemove(input: $input) @skip(if: $add) { customers { name tags { name } } userErrors { field code } } }`;
const FOLLOW_UP = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) {
  followUp { id method content outcome nextFollowUpOn pending author { id } customer { id } } userErrors { field code message } } }`;
const dayOffset = (days: number, now = Date.now()) => workspaceDate(days, now);
/**
 * Birth years of the birthdays test, one per customer: leap years, so that a birthday on the month and day of
 * today + n is a valid date even when that is 02-29.
 */
const BIRTH_YEARS = { inThreeDays: 1992, today: 1984, inTwentyDays: 2000 };
/** A birthday in `year` falling `days` after `now` (in the workspace's time zone). */
const birthdayIn = (days: number, year: number, now = Date.now()) => `${year}${dayOffset(days, now).slice(4)}`;

describe('tags and portraits', () => {
  it('defines tags with unique names and valid colors, tags and untags customers in bulk, and deleting a tag takes it off', async () => {
    const owner = await signUpWorkspace(server.url);
    const vip = await createTag(server.url, owner.token, { name: 'VIP', color: '#ff0000', group: 'CONSUMPTION', kind: 'MODEL', description: 'RFM 重要价值客户' });
    expect(vip).toMatchObject({ name: 'VIP', color: '#FF0000', group: 'CONSUMPTION', kind: 'MODEL' });
    const duplicate = dataOf(await gql(server.url, TAG_CREATE, { input: { name: 'VIP', group: 'PREFERENCE' } }, owner.token)).tagCreate;
    expect(duplicate.userErrors).toEqual([expect.objectContaining({ field: ['input', 'name'], code: 'DUPLICATE' })]);
    const badColor = dataOf(await gql(server.url, TAG_CREATE, { input: { name: '红色', color: 'red', group: 'PREFERENCE' } }, owner.token)).tagCreate;
    expect(badColor.userErrors).toEqual([expect.objectContaining({ field: ['input', 'color'], code: 'COLOR_INVALID' })]);
    const outdoor = await createTag(server.url, owner.token, { name: '户外', group: 'PREFERENCE' });

    const customers = [];
    for (const name of ['甲', '乙', '丙']) customers.push(await createCustomer(server.url, owner.token, { name }));
    const input = { customerIds: customers.map((c) => c.id), tagIds: [vip.id, outdoor.id] };
    const added = dataOf(await gql(server.url, TAGS, { input, add: true }, owner.token)).add;
    expect(added.customers.map((c: any) => c.tags.map((t: any) => t.name))).toEqual([['VIP', '户外'], ['VIP', '户外'], ['VIP', '户外']]);
    expect(dataOf(await gql(server.url, TAGS, { input, add: true }, owner.token)).add.userErrors).toEqual([]);
    const removed = dataOf(await gql(server.url, TAGS, { input: { customerIds: [customers[0].id], tagIds: [vip.id] }, add: false }, owner.token)).remove;
    expect(removed.customers).toEqual([{ name: '甲', tags: [{ name: '户外' }] }]);
    const unknown = dataOf(await gql(server.url, TAGS, { input: { customerIds: [customers[0].id, 'bm9wZQ'], tagIds: [vip.id] }, add: true }, owner.token)).add;
    expect(unknown.userErrors).toEqual([{ field: ['input', 'customerIds', '1'], code: 'NOT_FOUND' }]);

    const deleted = dataOf(await gql(server.url, `mutation($input: TagDeleteInput!) { tagDelete(input: $input) { deletedTagId userErrors { code } } }`, { input: { id: outdoor.id } }, owner.token)).tagDelete;
    expect(deleted).toEqual({ deletedTagId: outdoor.id, userErrors: [] });
    const tags = dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { tags { name } } tags { totalCount nodes { name } } }`, { id: customers[1].id }, owner.token));
    expect(tags).toEqual({ customer: { tags: [{ name: 'VIP' }] }, tags: { totalCount: 1, nodes: [{ name: 'VIP' }] } });
    const renamed = dataOf(await gql(server.url, `mutation($input: TagUpdateInput!) { tagUpdate(input: $input) { tag { name color } userErrors { code } } }`, { input: { id: vip.id, version: 1, name: '重要价值', color: '#00aa00' } }, owner.token)).tagUpdate;
    expect(renamed).toEqual({ tag: { name: '重要价值', color: '#00AA00' }, userErrors: [] });
  });

  it('updates a tag with the version read: a stale version is CONFLICT and changes nothing, also between concurrent edits', async () => {
    const owner = await signUpWorkspace(server.url);
    const crm = await createUserWithRole(server.url, owner.token, 'CRM_SPECIALIST');
    const TAG_UPDATE = `mutation($input: TagUpdateInput!) { tagUpdate(input: $input) { tag { id name color version } userErrors { field message code } } }`;
    const tag = dataOf(await gql(server.url, `mutation($input: TagCreateInput!) { tagCreate(input: $input) { tag { id version } userErrors { code } } }`,
      { input: { name: '高价值', group: 'CONSUMPTION' } }, owner.token)).tagCreate.tag;
    expect(tag.version).toBe(1);

    const first = dataOf(await gql(server.url, TAG_UPDATE, { input: { id: tag.id, version: 1, name: '重要价值' } }, owner.token)).tagUpdate;
    expect(first).toEqual({ tag: { id: tag.id, name: '重要价值', color: '#1677FF', version: 2 }, userErrors: [] });
    const stale = dataOf(await gql(server.url, TAG_UPDATE, { input: { id: tag.id, version: 1, name: '别的名字' } }, crm.token)).tagUpdate;
    expect(stale).toEqual({
      tag: null,
      userErrors: [{ field: ['input', 'version'], message: 'Someone else changed this tag since you loaded it; reload and try again', code: 'VERSION_CONFLICT' }],
    });
    const read = `query($id: ID!) { node(id: $id) { ... on Tag { name version } } }`;
    expect(dataOf(await gql(server.url, read, { id: tag.id }, owner.token)).node).toEqual({ name: '重要价值', version: 2 });

    // Two agents who read version 2 save at once: one wins, the others are told, none overwrites silently.
    const colors = ['#111111', '#222222', '#333333', '#444444'];
    const racing = await Promise.all(colors.map((color) => gql(server.url, TAG_UPDATE, { input: { id: tag.id, version: 2, color } }, owner.token)));
    const payloads = racing.map((r) => dataOf(r).tagUpdate);
    expect(payloads.filter((p) => p.tag)).toHaveLength(1);
    for (const p of payloads.filter((p) => !p.tag)) expect(p.userErrors).toEqual([expect.objectContaining({ field: ['input', 'version'], code: 'VERSION_CONFLICT' })]);
    const winner = payloads.find((p) => p.tag).tag;
    expect(winner.version).toBe(3);
    expect(dataOf(await gql(server.url, `{ tags { nodes { color version } } }`, {}, owner.token)).tags.nodes).toEqual([{ color: winner.color, version: 3 }]);
  });

  it('builds the portrait: tags by group, statistics with favorites, handling strategy and age', async () => {
    const owner = await signUpWorkspace(server.url);
    const birthday = `${new Date().getUTCFullYear() - 30}-01-01`;
    const customer = await createCustomer(server.url, owner.token, { name: '郭靖', birthday, personalityType: 'FRIENDLY', behaviorType: 'CONFUSED' });
    const tags = [
      await createTag(server.url, owner.token, { name: '男性', group: 'DEMOGRAPHIC', kind: 'FACT' }),
      await createTag(server.url, owner.token, { name: '高消费', group: 'CONSUMPTION', kind: 'MODEL' }),
      await createTag(server.url, owner.token, { name: '户外运动', group: 'PREFERENCE' }),
    ];
    dataOf(await gql(server.url, TAGS, { input: { customerIds: [customer.id], tagIds: tags.map((t) => t.id) }, add: true }, owner.token));
    const items = [
      { sku: 'T1', title: '冲锋衣', category: '户外', brand: '凯乐石', quantity: 2, unitPrice: '500.00' },
      { sku: 'T2', title: '登山杖', category: '户外', brand: '黑钻', quantity: 1, unitPrice: '300.00' },
      { sku: 'T3', title: '袜子', category: '服饰', brand: '黑钻', quantity: 2, unitPrice: '50.00' },
    ];
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, totalAmount: '1400.00', items }) }, owner.token));
    const portrait = dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { personalityType behaviorType portrait {
      tagGroups { group tags { name kind } } handlingStrategy age merchant { shopName }
      orderStats { orderCount totalSpent { amount currency } averageOrderValue { amount } favoriteCategory favoriteBrand } } } }`, { id: customer.id }, owner.token)).customer;
    expect(portrait).toMatchObject({
      personalityType: 'FRIENDLY', behaviorType: 'CONFUSED',
      portrait: {
        tagGroups: [
          { group: 'DEMOGRAPHIC', tags: [{ name: '男性', kind: 'FACT' }] },
          { group: 'CONSUMPTION', tags: [{ name: '高消费', kind: 'MODEL' }] },
          { group: 'PREFERENCE', tags: [{ name: '户外运动', kind: 'MANUAL' }] },
        ],
        age: 30, merchant: null,
        orderStats: { orderCount: 1, totalSpent: { amount: '1400.00', currency: 'CNY' }, averageOrderValue: { amount: '1400.00' }, favoriteCategory: '户外', favoriteBrand: '黑钻' },
      },
    });
    expect(portrait.portrait.handlingStrategy).toContain('友善型：提供最好的服务');
    expect(portrait.portrait.handlingStrategy).toContain('困惑型');
  });
});

describe('follow-ups and care', () => {
  it('lets agents record follow-ups; the due list shows each customer\'s latest plan only', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const crm = await createUserWithRole(server.url, owner.token, 'CRM_SPECIALIST');
    const customer = await createCustomer(server.url, owner.token, { name: '黄蓉' });
    const other = await createCustomer(server.url, owner.token, { name: '洪七公' });

    const first = dataOf(await gql(server.url, FOLLOW_UP, {
      input: { customerId: customer.id, method: 'PHONE', content: '回访退货体验', outcome: '满意', nextFollowUpOn: dayOffset(3) },
    }, agent.token)).followUpCreate;
    expect(first.followUp).toMatchObject({ method: 'PHONE', outcome: '满意', pending: true, author: { id: agent.userId }, customer: { id: customer.id } });
    dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: other.id, method: 'VISIT', content: '上门拜访', nextFollowUpOn: dayOffset(30) } }, agent.token));
    dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: other.id, method: 'EMAIL', content: '逾期未联系', nextFollowUpOn: dayOffset(-2), happenedAt: new Date(Date.now() - 5 * 86_400_000).toISOString() } }, agent.token));

    const due = `query($days: Int) { followUpsDue(days: $days) { totalCount nodes { content nextFollowUpOn customer { name } } } }`;
    expect(dataOf(await gql(server.url, due, { days: 7 }, crm.token)).followUpsDue.nodes.map((n: any) => n.content)).toEqual(['逾期未联系', '回访退货体验']);

    dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: customer.id, method: 'WECHAT', content: '已完成回访' } }, crm.token));
    expect(dataOf(await gql(server.url, due, { days: 7 }, crm.token)).followUpsDue.nodes.map((n: any) => n.content)).toEqual(['逾期未联系']);
    const history = dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { followUps { nodes { content pending } } } }`, { id: customer.id }, owner.token));
    expect(history.customer.followUps.nodes).toEqual([{ content: '已完成回访', pending: false }, { content: '回访退货体验', pending: false }]);

    const bad = dataOf(await gql(server.url, FOLLOW_UP, {
      input: { customerId: customer.id, method: 'SMS', content: ' ', nextFollowUpOn: '2000-01-01' },
    }, agent.token)).followUpCreate;
    expect(bad.userErrors.map((e: any) => e.field.join('.'))).toEqual(['input.content']);
    const past = dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: customer.id, method: 'SMS', content: '短信', nextFollowUpOn: '2000-01-01' } }, agent.token)).followUpCreate;
    expect(past.userErrors).toEqual([expect.objectContaining({ field: ['input', 'nextFollowUpOn'], code: 'DATE_OUT_OF_ORDER' })]);
  });

  it('builds the birthdays of the birthdays test as valid dates whatever day the test runs (02-29 included)', () => {
    const invalid: string[] = [];
    const start = Date.UTC(2028, 0, 1); // a leap year: every month-day occurs as today + n
    for (let day = 0; day < 366; day++) {
      for (const [days, year] of [[3, BIRTH_YEARS.inThreeDays], [0, BIRTH_YEARS.today], [20, BIRTH_YEARS.inTwentyDays]]) {
        const birthday = birthdayIn(days, year, start + day * 86_400_000);
        const parsed = new Date(`${birthday}T00:00:00Z`);
        if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== birthday) invalid.push(birthday);
      }
    }
    expect(invalid).toEqual([]);
  });

  it('lists customers with birthdays in the next N days', async () => {
    const owner = await signUpWorkspace(server.url);
    await createCustomer(server.url, owner.token, { name: '三天后', birthday: birthdayIn(3, BIRTH_YEARS.inThreeDays) });
    await createCustomer(server.url, owner.token, { name: '今天', birthday: birthdayIn(0, BIRTH_YEARS.today) });
    await createCustomer(server.url, owner.token, { name: '二十天后', birthday: birthdayIn(20, BIRTH_YEARS.inTwentyDays) });
    await createCustomer(server.url, owner.token, { name: '没有生日' });
    const birthdays = `query($days: Int) { upcomingBirthdays(days: $days) { nodes { name birthday } } }`;
    const names = async (days: number) => dataOf(await gql(server.url, birthdays, { days }, owner.token)).upcomingBirthdays.nodes.map((n: any) => n.name).sort();
    expect(await names(7)).toEqual(['三天后', '今天'].sort());
    expect(await names(30)).toEqual(['三天后', '二十天后', '今天'].sort());
    expect((await gql(server.url, birthdays, { days: 365 }, owner.token)).errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });
});

describe('demo data', () => {
  it('seeds about 50 customers of both kinds with tags, a year of orders and follow-ups', async () => {
    const demo = await startTestServer({ env: { DEMO_DATA: 'true' } });
    try {
      const login = dataOf(await gql(demo.url, `mutation { login(input: { email: "crm@xiaolu.example", password: "demo12345" }) { token } }`)).login;
      const data = dataOf(await gql(demo.url, `{
        all: customers(first: 100) { totalCount nodes { kind name tags { name } orderStats { orderCount lastPurchaseAt } } }
        merchants: customers(filter: { kind: MERCHANT }) { totalCount }
        buyers: customers(filter: { hasOrdered: true }) { totalCount }
        followUpsDue(days: 60) { totalCount }
        tags { totalCount } }`, {}, login.token));
      expect(data.all.totalCount).toBe(50);
      expect(data.merchants.totalCount).toBeGreaterThan(0);
      expect(data.buyers.totalCount).toBeGreaterThan(25);
      expect(data.followUpsDue.totalCount).toBeGreaterThan(0);
      expect(data.tags.totalCount).toBeGreaterThan(4);
      expect(data.all.nodes.some((n: any) => n.tags.length > 0)).toBe(true);
      const yearAgo = Date.now() - 366 * 86_400_000;
      for (const n of data.all.nodes) if (n.orderStats.lastPurchaseAt) expect(new Date(n.orderStats.lastPurchaseAt).getTime()).toBeGreaterThan(yearAgo);
      expect(data.all.nodes.filter((n: any) => /[\u4e00-\u9fa5]/.test(n.name))).toHaveLength(50);
    } finally {
      await demo.stop();
    }
  });
});
