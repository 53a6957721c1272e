import { adminQuery } from './support/database';
import { dataOf, errorCode, gql } from './support/client';
import { createApiKey, createUserWithRole, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import {
  createCustomer, createTag, CUSTOMER, CUSTOMER_CREATE, CUSTOMER_UPDATE, ORDERS_IMPORT, ORDER_UPSERT, order, search, SEARCH,
} from './customers-fixtures';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const customerCount = async (workspace: SignedUp) =>
  Number((await adminQuery(`select count(*) from customer where workspace_id = (select workspace_id from "user" where email = $1)`, server.databaseName, [workspace.email])).rows[0].count);

describe('customer numbers and deduplication', () => {
  it('numbers customers per workspace, and 20 parallel creates get 20 distinct consecutive numbers', async () => {
    const owner = await signUpWorkspace(server.url);
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createCustomer(server.url, owner.token, { name: `客户${i}`, phone: `1390000${String(i).padStart(4, '0')}` })),
    );
    const numbers = created.map((c) => c.customerNo).sort();
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => `C${String(i + 1).padStart(6, '0')}`));
    const other = await signUpWorkspace(server.url);
    expect((await createCustomer(server.url, other.token, { name: '别家客户' })).customerNo).toBe('C000001');
  });

  it('refuses a phone, email or external id that another customer has, naming that customer, and writes nothing', async () => {
    const owner = await signUpWorkspace(server.url);
    const first = await createCustomer(server.url, owner.token, {
      name: '张三', phone: '13800000001', email: 'zhangsan@example.com', externalIds: [{ platform: 'taobao', value: 'tb_zhangsan' }],
    });
    const attempts: [Record<string, unknown>, string[]][] = [
      [{ phone: '+86 138-0000-0001' }, ['input', 'phone']],
      [{ email: 'ZhangSan@Example.com' }, ['input', 'email']],
      [{ externalIds: [{ platform: 'TAOBAO', value: 'tb_zhangsan' }] }, ['input', 'externalIds', '0']],
    ];
    for (const [fields, field] of attempts) {
      const result = dataOf(await gql(server.url, CUSTOMER_CREATE, { input: { name: '张三丰', ...fields } }, owner.token)).customerCreate;
      expect(result.customer).toBeNull();
      expect(result.userErrors).toEqual([expect.objectContaining({ field, code: 'DUPLICATE' })]);
      expect(result.userErrors[0].message).toContain(first.customerNo);
      expect(result.userErrors[0].message).toContain(first.id);
    }
    expect(await customerCount(owner)).toBe(1);
    // refused creates consumed no number
    expect((await createCustomer(server.url, owner.token, { name: '李四' })).customerNo).toBe('C000002');
  });

  it('lets exactly one of several concurrent creates with the same phone win', async () => {
    const owner = await signUpWorkspace(server.url);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => gql(server.url, CUSTOMER_CREATE, { input: { name: '王五', phone: '13700000007' } }, owner.token)),
    );
    const payloads = results.map((r) => dataOf(r).customerCreate);
    expect(payloads.filter((p) => p.customer)).toHaveLength(1);
    for (const p of payloads.filter((p) => !p.customer)) expect(p.userErrors[0].code).toBe('DUPLICATE');
    expect(await customerCount(owner)).toBe(1);
  });

  it('refuses malformed input with userErrors on the right fields', async () => {
    const owner = await signUpWorkspace(server.url);
    const bad = dataOf(await gql(server.url, CUSTOMER_CREATE, {
      input: { name: '  ', phone: '12345', email: 'not-an-email', birthday: '2999-01-01', merchant: { shopName: '小店' } },
    }, owner.token)).customerCreate;
    expect(bad.customer).toBeNull();
    const fields = bad.userErrors.map((e: any) => e.field.join('.'));
    expect(fields).toEqual(expect.arrayContaining(['input.name', 'input.phone', 'input.email']));
    const rules = dataOf(await gql(server.url, CUSTOMER_CREATE, {
      input: { name: '赵六', birthday: '2999-01-01', merchant: { shopName: '小店' } },
    }, owner.token)).customerCreate;
    expect(rules.userErrors.map((e: any) => e.field.join('.')).sort()).toEqual(['input.birthday', 'input.merchant']);
    expect(await customerCount(owner)).toBe(0);
  });
});

describe('corrections and partner upserts', () => {
  it('updates with the version read; a stale version is CONFLICT and changes nothing; the audit names fields only', async () => {
    const owner = await signUpWorkspace(server.url);
    const crm = await createUserWithRole(server.url, owner.token, 'CRM_SPECIALIST');
    const customer = await createCustomer(server.url, owner.token, { name: '陈七', phone: '13600000006' });
    const first = dataOf(await gql(server.url, CUSTOMER_UPDATE, { input: { id: customer.id, version: 1, name: '陈七七', phone: '13600000066' } }, owner.token)).customerUpdate;
    expect(first.customer).toMatchObject({ name: '陈七七', phone: '13600000066', version: 2 });
    const stale = dataOf(await gql(server.url, CUSTOMER_UPDATE, { input: { id: customer.id, version: 1, name: '另一个名字' } }, crm.token)).customerUpdate;
    expect(stale).toEqual({ customer: null, userErrors: [expect.objectContaining({ field: ['input', 'version'], code: 'VERSION_CONFLICT' })] });
    expect(dataOf(await gql(server.url, CUSTOMER, { id: customer.id }, owner.token)).customer).toMatchObject({ name: '陈七七', version: 2 });

    const audit = dataOf(await gql(server.url, `query($id: ID!) { auditLog(subjectId: $id) { nodes { action changes } } }`, { id: customer.id }, owner.token));
    const update = audit.auditLog.nodes.find((n: any) => n.action === 'customers.customer.update');
    expect(update.changes).toEqual({ fields: ['name', 'phone'] });
    expect(JSON.stringify(audit)).not.toContain('13600000066');
  });

  it("refuses changing a phone to another customer's", async () => {
    const owner = await signUpWorkspace(server.url);
    const a = await createCustomer(server.url, owner.token, { name: '甲', phone: '13500000001' });
    const b = await createCustomer(server.url, owner.token, { name: '乙', phone: '13500000002' });
    const result = dataOf(await gql(server.url, CUSTOMER_UPDATE, { input: { id: b.id, version: 1, phone: '13500000001' } }, owner.token)).customerUpdate;
    expect(result.userErrors).toEqual([expect.objectContaining({ field: ['input', 'phone'], code: 'DUPLICATE' })]);
    expect(result.userErrors[0].message).toContain(a.customerNo);
  });

  it('customerUpsert creates by external id, then updates that same customer', async () => {
    const owner = await signUpWorkspace(server.url);
    const upsert = `mutation($input: CustomerUpsertInput!) { customerUpsert(input: $input) { created customer { id customerNo nickname externalIds { platform value } } userErrors { code field } } }`;
    const created = dataOf(await gql(server.url, upsert, { input: { externalId: { platform: 'wechat', value: 'oX1abc' }, name: '李雷' } }, owner.token)).customerUpsert;
    expect(created).toMatchObject({ created: true, customer: { customerNo: 'C000001', externalIds: [{ platform: 'wechat', value: 'oX1abc' }] }, userErrors: [] });
    const updated = dataOf(await gql(server.url, upsert, { input: { externalId: { platform: 'WeChat', value: 'oX1abc' }, name: '李雷', nickname: '雷雷' } }, owner.token)).customerUpsert;
    expect(updated).toMatchObject({ created: false, customer: { id: created.customer.id, nickname: '雷雷' } });
  });

  it('customerUpsert applies kind at creation, and on an update only when sent: a merchant upserted without kind stays a merchant', async () => {
    const owner = await signUpWorkspace(server.url);
    const upsert = `mutation($input: CustomerUpsertInput!) { customerUpsert(input: $input) { created
      customer { id kind merchant { shopName membershipLevel } } userErrors { field code } } }`;
    const run = async (input: Record<string, unknown>) => dataOf(await gql(server.url, upsert, { input }, owner.token)).customerUpsert;
    const key = { platform: 'order-system', value: 'M-001' };

    const merchant = await run({ externalId: key, name: '周记茶庄', kind: 'MERCHANT', merchant: { shopName: '周记茶庄', membershipLevel: 'GOLD' } });
    expect(merchant).toMatchObject({ created: true, customer: { kind: 'MERCHANT', merchant: { shopName: '周记茶庄', membershipLevel: 'GOLD' } }, userErrors: [] });
    // The partner's next sync sends no kind: the merchant and its details stay.
    const synced = await run({ externalId: key, name: '周记茶庄（总店）' });
    expect(synced).toEqual({ created: false, customer: { id: merchant.customer.id, kind: 'MERCHANT', merchant: { shopName: '周记茶庄', membershipLevel: 'GOLD' } }, userErrors: [] });
    const withDetails = await run({ externalId: key, name: '周记茶庄', merchant: { membershipLevel: 'DIAMOND' } });
    expect(withDetails).toMatchObject({ customer: { kind: 'MERCHANT', merchant: { shopName: '周记茶庄', membershipLevel: 'DIAMOND' } }, userErrors: [] });
    const nullKind = await run({ externalId: key, name: '周记茶庄', kind: null });
    expect(nullKind.customer).toMatchObject({ kind: 'MERCHANT', merchant: { shopName: '周记茶庄' } });

    // A kind that is sent applies, on update too.
    const switched = await run({ externalId: key, name: '周老板', kind: 'INDIVIDUAL' });
    expect(switched).toMatchObject({ created: false, customer: { id: merchant.customer.id, kind: 'INDIVIDUAL', merchant: null }, userErrors: [] });
    // Created without kind: INDIVIDUAL.
    expect((await run({ externalId: { platform: 'order-system', value: 'P-002' }, name: '王小二' })).customer).toMatchObject({ kind: 'INDIVIDUAL', merchant: null });

    // A merchant made by customerCreate and later synced by a partner without kind stays a merchant too.
    const created = await createCustomer(server.url, owner.token, {
      kind: 'MERCHANT', name: '李记', merchant: { shopName: '李记粮油' }, externalIds: [{ platform: 'order-system', value: 'M-003' }],
    });
    const later = await run({ externalId: { platform: 'order-system', value: 'M-003' }, name: '李记' });
    expect(later.customer).toEqual({ id: created.id, kind: 'MERCHANT', merchant: { shopName: '李记粮油', membershipLevel: null } });
  });

  it('keeps merchant details for merchants and clears them when a customer becomes an individual', async () => {
    const owner = await signUpWorkspace(server.url);
    const merchant = dataOf(await gql(server.url, `mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
      customer { id kind merchant { shopName location contactPhone foundedOn assetsBand businessStatus membershipLevel } portrait { merchant { shopName } age } } userErrors { field code } } }`, {
      input: {
        kind: 'MERCHANT', name: '周老板', merchant: {
          shopName: '周记茶庄', location: '杭州市西湖区', contactPhone: '0571-88886666', foundedOn: '2015-05-01',
          assetsBand: 'FROM_1M_TO_10M', businessStatus: 'OPERATING', membershipLevel: 'GOLD',
        },
      },
    }, owner.token)).customerCreate;
    expect(merchant.customer).toMatchObject({
      kind: 'MERCHANT',
      merchant: { shopName: '周记茶庄', contactPhone: '0571-88886666', foundedOn: '2015-05-01', assetsBand: 'FROM_1M_TO_10M', membershipLevel: 'GOLD' },
      portrait: { merchant: { shopName: '周记茶庄' }, age: null },
    });
    const changed = dataOf(await gql(server.url, `mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) { customer { kind merchant { shopName } } userErrors { code } } }`, {
      input: { id: merchant.customer.id, version: 1, kind: 'INDIVIDUAL' },
    }, owner.token)).customerUpdate;
    expect(changed).toEqual({ customer: { kind: 'INDIVIDUAL', merchant: null }, userErrors: [] });
  });
});

describe('finding customers', () => {
  it('searches Chinese substrings, numbers and external ids, and filters by kind, region, tags, purchases and creation time', async () => {
    const owner = await signUpWorkspace(server.url);
    const zxm = await createCustomer(server.url, owner.token, { name: '张小明', province: '浙江', city: '杭州' });
    const zw = await createCustomer(server.url, owner.token, { name: '张伟', kind: 'MERCHANT' });
    const wxm = await createCustomer(server.url, owner.token, { name: '王小明', externalIds: [{ platform: 'taobao', value: 'tb_wang_88' }] });
    const ls = await createCustomer(server.url, owner.token, { name: '李四', nickname: '四哥' });
    const names = async (filter: Record<string, unknown>, sort?: string) =>
      dataOf(await gql(server.url, SEARCH, { filter, first: 50, sort }, owner.token)).customers.nodes.map((n: any) => n.name).sort();

    expect(await names({ search: '张' })).toEqual(['张伟', '张小明']);
    expect(await names({ search: '小明' })).toEqual(['张小明', '王小明']);
    expect(await names({ search: '四哥' })).toEqual(['李四']);
    expect(await names({ search: ls.customerNo.toLowerCase() })).toEqual(['李四']);
    expect(await names({ search: 'TB_WANG' })).toEqual(['王小明']);
    expect(await names({ search: '100%_' })).toEqual([]);
    expect(await names({ kind: 'MERCHANT' })).toEqual(['张伟']);
    expect(await names({ region: { province: '浙江', city: '杭州' } })).toEqual(['张小明']);
    expect(await names({ region: { city: '杭州' } })).toEqual(['张小明']);

    const vip = await createTag(server.url, owner.token, { name: 'VIP', group: 'CONSUMPTION' });
    const mom = await createTag(server.url, owner.token, { name: '宝妈', group: 'DEMOGRAPHIC' });
    const tagsAdd = `mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }`;
    dataOf(await gql(server.url, tagsAdd, { input: { customerIds: [zxm.id, wxm.id], tagIds: [vip.id] } }, owner.token));
    dataOf(await gql(server.url, tagsAdd, { input: { customerIds: [zxm.id], tagIds: [mom.id] } }, owner.token));
    expect(await names({ tagIds: [vip.id] })).toEqual(['张小明', '王小明']);
    expect(await names({ tagIds: [vip.id, mom.id] })).toEqual(['张小明']);
    expect(await names({ tagIds: [vip.id], search: '王' })).toEqual(['王小明']);

    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: ls.id, placedAt: '2025-01-01T00:00:00Z' }) }, owner.token));
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: wxm.id, placedAt: '2025-06-01T00:00:00Z' }) }, owner.token));
    expect(await names({ hasOrdered: true })).toEqual(['李四', '王小明']);
    expect(await names({ hasOrdered: false })).toEqual(['张伟', '张小明']);
    const byPurchase = dataOf(await gql(server.url, SEARCH, { first: 50, sort: { field: 'LAST_ORDER_AT' } }, owner.token)).customers.nodes.map((n: any) => n.name);
    expect(byPurchase).toEqual(['王小明', '李四']);
    expect(await names({ createdAfter: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(await names({ createdBefore: new Date(Date.now() + 60_000).toISOString() })).toHaveLength(4);
    void zw;
  });

  it('refuses a search term longer than 100 characters as BAD_USER_INPUT', async () => {
    const owner = await signUpWorkspace(server.url);
    await createCustomer(server.url, owner.token, { name: '张'.repeat(100) });
    const tooLong = await gql(server.url, SEARCH, { filter: { search: '张'.repeat(101) } }, owner.token);
    expect(errorCode(tooLong)).toBe('BAD_USER_INPUT');
    expect(tooLong.errors![0].message).toBe('filter.search: search must be shorter than or equal to 100 characters');
    expect(tooLong.errors![0].extensions).toMatchObject({ field: ['filter', 'search'] });
    expect(tooLong.data?.customers ?? null).toBeNull();
    // also inside other filters, and however it is sent (a literal instead of a variable)
    const literal = await gql(server.url, `{ customers(filter: { kind: INDIVIDUAL, search: "${'x'.repeat(101)}" }) { totalCount } }`, {}, owner.token);
    expect(errorCode(literal)).toBe('BAD_USER_INPUT');
    expect((await search(server.url, owner.token, { search: '张'.repeat(100) })).totalCount).toBe(1);
  });

  it('pages through customers with keyset cursors and reports totalCount', async () => {
    const owner = await signUpWorkspace(server.url);
    for (let i = 0; i < 5; i++) await createCustomer(server.url, owner.token, { name: `分页${i}` });
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: any = dataOf(await gql(server.url, SEARCH, { first: 2, after }, owner.token)).customers;
      expect(page.totalCount).toBe(5);
      seen.push(...page.nodes.map((n: any) => n.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(['分页4', '分页3', '分页2', '分页1', '分页0']);
    expect(errorCode(await gql(server.url, SEARCH, { first: 101 }, owner.token))).toBe('BAD_USER_INPUT');
  });

  it('lists 100 customers with tags, portraits and order statistics in as many SQL statements as 10', async () => {
    const owner = await signUpWorkspace(server.url);
    const rows = Array.from({ length: 100 }, (_, i) => order({ customerExternalId: `buyer${i}`, customerName: `顾客${i}` }));
    expect(dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, owner.token)).ordersImport).toMatchObject({ importedCount: 100, createdCustomers: 100 });
    const tag = await createTag(server.url, owner.token, { name: '老客', group: 'CONSUMPTION' });
    const ids = (await search(server.url, owner.token, {})).nodes.map((n: any) => n.id);
    dataOf(await gql(server.url, `mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }`, { input: { customerIds: ids, tagIds: [tag.id] } }, owner.token));

    const list = `query($first: Int) { customers(first: $first) { totalCount nodes { id customerNo name phone email
      tags { name } externalIds { value } orderStats { orderCount totalSpent { amount currency } averageOrderValue { amount } lastPurchaseAt }
      portrait { tagGroups { group tags { name } } orderStats { favoriteCategory favoriteBrand } } } } }`;
    const ten = await gql(server.url, list, { first: 10 }, owner.token);
    const hundred = await gql(server.url, list, { first: 100 }, owner.token);
    expect(dataOf(hundred).customers.nodes).toHaveLength(100);
    expect(dataOf(hundred).customers.nodes[0]).toMatchObject({ tags: [{ name: '老客' }], orderStats: { orderCount: 1, totalSpent: { amount: '199.00', currency: 'CNY' } }, portrait: { orderStats: { favoriteCategory: '母婴' } } });
    expect(hundred.extensions!.sqlStatements).toBe(ten.extensions!.sqlStatements);
    expect(hundred.extensions!.sqlStatements).toBeLessThanOrEqual(8);
  });
});

describe('nested lists of a customer list', () => {
  const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
  const globalId = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString('base64url');
  const LIST = `query($first: Int) { customers(first: $first) { nodes { id
    orders(first: 3) { totalCount nodes { id placedAt totalAmount { amount currency } status customer { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } }
    followUps(first: 2) { totalCount nodes { id content method happenedAt nextFollowUpOn pending customer { id } } pageInfo { hasNextPage endCursor } } } } }`;
  const ORDERS_AFTER = `query($id: ID!, $first: Int, $after: String) { customer(id: $id) {
    orders(first: $first, after: $after) { totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`;

  it('lists 50 customers with their first pages of orders and follow-ups (and totalCount) in as many SQL statements as 5', async () => {
    const owner = await signUpWorkspace(server.url);
    // 4 customers without orders, then 46 buyers with 1 to 5 orders each; the 4th and 5th order of a buyer share a
    // placedAt, so the id must break the tie.
    for (let i = 0; i < 4; i++) await createCustomer(server.url, owner.token, { name: `无订单${i}` });
    const rows = Array.from({ length: 46 }, (_, i) => Array.from({ length: 1 + (i % 5) }, (_, k) => order({
      customerExternalId: `nested${i}`, customerName: `嵌套${i}`, externalId: `N${i}-${k}`, items: [],
      placedAt: `2025-0${1 + Math.min(k, 3)}-01T00:00:00Z`,
    }))).flat();
    expect(dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, owner.token)).ordersImport).toMatchObject({ userErrors: [], createdCustomers: 46 });
    const customers = (await search(server.url, owner.token, {}, 50)).nodes;
    const followUp = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { userErrors { code } } }`;
    for (const [i, c] of customers.slice(0, 12).entries()) {
      for (let k = 0; k < i % 4; k++) {
        const happenedAt = new Date(Date.UTC(2025, 0, 1 + Math.min(k, 1))).toISOString();
        const input = { customerId: c.id, method: 'PHONE', content: `回访${i}-${k}`, happenedAt, nextFollowUpOn: '2099-01-01' };
        expect(dataOf(await gql(server.url, followUp, { input }, owner.token)).followUpCreate.userErrors).toEqual([]);
      }
    }

    const five = await gql(server.url, LIST, { first: 5 }, owner.token);
    const fifty = await gql(server.url, LIST, { first: 50 }, owner.token);
    const nodes = dataOf(fifty).customers.nodes;
    expect(nodes).toHaveLength(50);
    expect(fifty.extensions!.sqlStatements).toBe(five.extensions!.sqlStatements);
    expect(fifty.extensions!.sqlStatements).toBeLessThanOrEqual(10);

    // Every customer's first pages are what the database holds, newest first, ties broken by id (descending).
    const expected = async (table: string, at: string, customerGlobalId: string) =>
      (await adminQuery(`select id from ${table} where customer_id = $1 order by ${at} desc, id desc`, server.databaseName, [uuidOf(customerGlobalId)])).rows.map((r) => r.id);
    for (const node of nodes) {
      const orders = (await expected('customer_order', 'placed_at', node.id)).map((id: string) => globalId('Order', id));
      expect(node.orders.totalCount).toBe(orders.length);
      expect(node.orders.nodes.map((n: any) => n.id)).toEqual(orders.slice(0, 3));
      expect(node.orders.pageInfo).toMatchObject({ hasNextPage: orders.length > 3, hasPreviousPage: false });
      expect(node.orders.pageInfo.endCursor).toBe(node.orders.edges.at(-1)?.cursor ?? null);
      for (const o of node.orders.nodes) expect(o).toMatchObject({ totalAmount: { amount: '199.00', currency: 'CNY' }, status: 'COMPLETED', customer: { id: node.id } });
      const followUps = (await expected('follow_up', 'happened_at', node.id)).map((id: string) => globalId('FollowUp', id));
      expect(node.followUps.totalCount).toBe(followUps.length);
      expect(node.followUps.nodes.map((n: any) => n.id)).toEqual(followUps.slice(0, 2));
      expect(node.followUps.pageInfo.hasNextPage).toBe(followUps.length > 2);
      node.followUps.nodes.forEach((f: any) => expect(f).toMatchObject({
        method: 'PHONE', content: expect.stringMatching(/^回访/), nextFollowUpOn: '2099-01-01', pending: expect.any(Boolean), customer: { id: node.id },
      }));
    }

    // A cursor from a batched first page continues on the keyset path: the pages join up without gap or overlap.
    for (const node of nodes.filter((n: any) => n.orders.pageInfo.hasNextPage).slice(0, 5)) {
      const all = (await expected('customer_order', 'placed_at', node.id)).map((id: string) => globalId('Order', id));
      const seen = node.orders.nodes.map((n: any) => n.id);
      let after = node.orders.pageInfo.endCursor;
      while (after) {
        const page = dataOf(await gql(server.url, ORDERS_AFTER, { id: node.id, first: 2, after }, owner.token)).customer.orders;
        expect(page.pageInfo.hasPreviousPage).toBe(true);
        expect(page.totalCount).toBe(all.length);
        seen.push(...page.nodes.map((n: any) => n.id));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      }
      expect(seen).toEqual(all);
    }
    // The cursor is the one paginate makes: base64url of [placedAt, id].
    const withOrders = nodes.find((n: any) => n.orders.nodes.length);
    expect(JSON.parse(Buffer.from(withOrders.orders.pageInfo.startCursor, 'base64url').toString())).toEqual([withOrders.orders.nodes[0].placedAt, uuidOf(withOrders.orders.nodes[0].id)]);
    const single = dataOf(await gql(server.url, ORDERS_AFTER, { id: withOrders.id, first: 3 }, owner.token)).customer.orders;
    expect(single.pageInfo.endCursor).toBe(withOrders.orders.pageInfo.endCursor);
    expect(errorCode(await gql(server.url, ORDERS_AFTER, { id: withOrders.id, first: 101 }, owner.token))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(server.url, ORDERS_AFTER, { id: withOrders.id, first: 0 }, owner.token))).toBe('BAD_USER_INPUT');
  });

  it('shows each mutation payload of a document the orders and follow-ups as that mutation left them', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '两次' });
    // Mutations of one document run one after another in one request: the second payload must not see a page or
    // count cached for the first.
    const twice = dataOf(await gql(server.url, `mutation($a: OrderInput!, $b: OrderInput!, $f: FollowUpCreateInput!) {
      a: orderUpsert(input: $a) { order { customer { orders(first: 5) { totalCount nodes { externalId } } followUps { totalCount } } } }
      f: followUpCreate(input: $f) { followUp { customer { followUps { totalCount nodes { content } } } } }
      b: orderUpsert(input: $b) { order { customer { orders(first: 5) { totalCount nodes { externalId } } } } } }`, {
      a: order({ customerId: customer.id, externalId: 'TWICE-A', placedAt: '2025-01-01T00:00:00Z' }),
      f: { customerId: customer.id, method: 'SMS', content: '短信' },
      b: order({ customerId: customer.id, externalId: 'TWICE-B', placedAt: '2025-02-01T00:00:00Z' }),
    }, owner.token));
    expect(twice).toEqual({
      a: { order: { customer: { orders: { totalCount: 1, nodes: [{ externalId: 'TWICE-A' }] }, followUps: { totalCount: 0 } } } },
      f: { followUp: { customer: { followUps: { totalCount: 1, nodes: [{ content: '短信' }] } } } },
      b: { order: { customer: { orders: { totalCount: 2, nodes: [{ externalId: 'TWICE-B' }, { externalId: 'TWICE-A' }] } } } },
    });
  });
});

describe('the workbench read', () => {
  // What the agent workbench shows of one customer (bench/run.ts, issue 8: at most 3 SQL statements).
  const WORKBENCH = `query($id: ID!) { customer(id: $id) { id customerNo name phone
    tags { id name group }
    orders(first: 5) { nodes { id orderNo status placedAt totalAmount { amount currency } } pageInfo { hasNextPage } }
    followUps(first: 5) { nodes { id method content happenedAt nextFollowUpOn } } } }`;

  it('reads a customer with its tags, first 5 orders and follow-ups in at most 3 SQL statements', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '工作台', phone: '13800001111' });
    for (let i = 0; i < 6; i++) {
      const upserted = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, externalId: `WB-${i}`, totalAmount: `${100 + i}.00`, placedAt: `2025-01-0${1 + i}T00:00:00Z`, items: [] }) }, owner.token)).orderUpsert;
      expect(upserted.userErrors).toEqual([]);
    }
    const tags = [await createTag(server.url, owner.token, { name: '高价值', group: 'CONSUMPTION' }), await createTag(server.url, owner.token, { name: '老客', group: 'CONSUMPTION' })];
    await createTag(server.url, owner.token, { name: '未用', group: 'PREFERENCE' });
    const tagged = dataOf(await gql(server.url, `mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }`,
      { input: { customerIds: [customer.id], tagIds: tags.map((t) => t.id) } }, owner.token)).customerTagsAdd;
    expect(tagged.userErrors).toEqual([]);
    for (let i = 0; i < 3; i++) {
      const input = { customerId: customer.id, method: 'PHONE', content: `回访${i}`, happenedAt: `2025-02-0${1 + i}T00:00:00Z`, nextFollowUpOn: i === 2 ? '2099-01-01' : null };
      expect(dataOf(await gql(server.url, `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { userErrors { code } } }`, { input }, owner.token)).followUpCreate.userErrors).toEqual([]);
    }

    // Two reads in a row: one of them finds the principal cached (as under load), whenever its entry was made; the
    // other may authenticate with a statement of its own.
    const reads = [await gql(server.url, WORKBENCH, { id: customer.id }, owner.token), await gql(server.url, WORKBENCH, { id: customer.id }, owner.token)];
    const read = reads[1];
    expect(dataOf(read).customer).toEqual({
      id: customer.id, customerNo: customer.customerNo, name: '工作台', phone: '13800001111',
      tags: [...tags].sort((a, b) => (a.name < b.name ? -1 : 1)).map(({ id, name, group }) => ({ id, name, group })),
      orders: {
        nodes: [5, 4, 3, 2, 1].map((i) => ({
          id: expect.any(String), orderNo: expect.any(String), status: 'COMPLETED', placedAt: `2025-01-0${1 + i}T00:00:00.000Z`, totalAmount: { amount: `${100 + i}.00`, currency: 'CNY' },
        })),
        pageInfo: { hasNextPage: true },
      },
      followUps: {
        nodes: [2, 1, 0].map((i) => ({ id: expect.any(String), method: 'PHONE', content: `回访${i}`, happenedAt: `2025-02-0${1 + i}T00:00:00.000Z`, nextFollowUpOn: i === 2 ? '2099-01-01' : null })),
      },
    });
    expect(dataOf(reads[0])).toEqual(dataOf(read));
    expect(Math.min(...reads.map((r) => r.extensions!.sqlStatements as number))).toBeLessThanOrEqual(3);
  });
});

describe('permissions', () => {
  const READ = `{ customers(first: 5) { totalCount nodes { phone email } } }`;
  const EXPORT = `query($id: ID!) { customerDataExport(id: $id) }`;
  const FOLLOW_UP = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { followUp { id } userErrors { code } } }`;

  it('gives each role and API-key scope what the issue says', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '权限客户', phone: '13812345678', email: 'zhang@example.com' });
    const tokens: Record<string, string> = { OWNER: owner.token };
    for (const role of ['MANAGER', 'AGENT', 'CRM_SPECIALIST', 'ANALYST']) tokens[role] = (await createUserWithRole(server.url, owner.token, role)).token;
    tokens['key:read'] = (await createApiKey(server.url, owner.token, ['customers:read'])).secret;
    tokens['key:read+write'] = (await createApiKey(server.url, owner.token, ['customers:read', 'customers:write'])).secret;
    tokens['key:read+pii'] = (await createApiKey(server.url, owner.token, ['customers:read', 'customers:pii'])).secret;

    const allowed = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
      const response = await gql(server.url, query, variables, token);
      const code = errorCode(response);
      if (code && code !== 'FORBIDDEN') throw new Error(JSON.stringify(response.errors));
      return code === undefined;
    };
    const matrix: Record<string, Record<string, boolean>> = {};
    let n = 0;
    for (const [who, token] of Object.entries(tokens)) {
      n += 1;
      const read = await allowed(token, READ);
      const phone = read ? dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { phone } }`, { id: customer.id }, token)).customer.phone : null;
      matrix[who] = {
        read,
        unmasked: phone === '13812345678',
        write: await allowed(token, CUSTOMER_CREATE, { input: { name: `新客户${n}` } }),
        import: await allowed(token, ORDERS_IMPORT, { input: { orders: [order({ customerId: customer.id })] } }),
        followUp: await allowed(token, FOLLOW_UP, { input: { customerId: customer.id, method: 'PHONE', content: '回访' } }),
        export: await allowed(token, EXPORT, { id: customer.id }),
      };
    }
    const row = (read: boolean, unmasked: boolean, write: boolean, followUp: boolean, exp: boolean) => ({ read, unmasked, write, import: write, followUp, export: exp });
    expect(matrix).toEqual({
      OWNER: row(true, true, true, true, true),
      MANAGER: row(true, true, true, true, true),
      CRM_SPECIALIST: row(true, true, true, true, true),
      AGENT: row(true, true, false, true, true),
      ANALYST: row(true, false, false, false, false),
      'key:read': row(true, false, false, false, false),
      'key:read+write': row(true, false, true, false, false),
      'key:read+pii': row(true, true, false, false, true),
    });
    const anonymous = await gql(server.url, READ);
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
  });
});

describe('workspace isolation', () => {
  it("refuses every operation on another workspace's customers, tags and orders as not found", async () => {
    const a = await signUpWorkspace(server.url, '甲店');
    const b = await signUpWorkspace(server.url, '乙店');
    const theirs = await createCustomer(server.url, a.token, { name: '甲店客户', phone: '13911112222' });
    const theirTag = await createTag(server.url, a.token, { name: '甲店标签', group: 'PREFERENCE' });
    const theirOrder = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: theirs.id, externalId: 'SHARED-1' }) }, a.token)).orderUpsert.order;
    const ours = await createCustomer(server.url, b.token, { name: '乙店客户' });
    const ourTag = await createTag(server.url, b.token, { name: '乙店标签', group: 'PREFERENCE' });

    // Another workspace's customer looks like no customer: null, without an error.
    const lookup = await gql(server.url, `query($id: ID!) { customer(id: $id) { id } customerDataExport(id: $id) }`, { id: theirs.id }, b.token);
    expect({ data: lookup.data, errors: lookup.errors }).toEqual({ data: { customer: null, customerDataExport: null }, errors: undefined });
    for (const id of [theirs.id, theirTag.id, theirOrder.id]) {
      expect(dataOf(await gql(server.url, `query($id: ID!) { node(id: $id) { id } }`, { id }, b.token)).node).toBeNull();
    }
    const notFound = async (mutation: string, input: Record<string, unknown>) => {
      const payload = Object.values(dataOf(await gql(server.url, mutation, { input }, b.token)))[0] as any;
      expect(payload.userErrors).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'NOT_FOUND' })]));
    };
    await notFound(CUSTOMER_UPDATE, { id: theirs.id, version: 1, name: '改名' });
    await notFound(`mutation($input: CustomerMergeInput!) { customerMerge(input: $input) { userErrors { code } } }`, { keepId: ours.id, mergeId: theirs.id });
    await notFound(`mutation($input: CustomerMergeInput!) { customerMerge(input: $input) { userErrors { code } } }`, { keepId: theirs.id, mergeId: ours.id });
    await notFound(`mutation($input: CustomerEraseInput!) { customerErase(input: $input) { userErrors { code } } }`, { id: theirs.id });
    await notFound(`mutation($input: ConsentRecordInput!) { customerConsentRecord(input: $input) { userErrors { code } } }`, { customerId: theirs.id, policyVersion: 'v1', marketingConsent: true, channel: 'APP' });
    await notFound(`mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { userErrors { code } } }`, { customerId: theirs.id, method: 'SMS', content: 'x' });
    await notFound(`mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }`, { customerIds: [theirs.id], tagIds: [ourTag.id] });
    await notFound(`mutation($input: CustomerTagsInput!) { customerTagsRemove(input: $input) { userErrors { code } } }`, { customerIds: [ours.id], tagIds: [theirTag.id] });
    await notFound(`mutation($input: TagUpdateInput!) { tagUpdate(input: $input) { userErrors { code } } }`, { id: theirTag.id, version: 1, name: 'x' });
    await notFound(`mutation($input: TagDeleteInput!) { tagDelete(input: $input) { userErrors { code } } }`, { id: theirTag.id });
    await notFound(ORDER_UPSERT, order({ customerId: theirs.id }));
    const imported = dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: [order({ customerId: theirs.id })] } }, b.token)).ordersImport;
    expect(imported).toMatchObject({ importedCount: 0, userErrors: [{ index: 0, field: ['input', 'orders', '0', 'customerId'], code: 'NOT_FOUND' }] });

    // the same platform order id in another workspace is another order
    const same = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: ours.id, externalId: 'SHARED-1', totalAmount: '1.00', items: [] }) }, b.token)).orderUpsert;
    expect(same.created).toBe(true);
    expect((await search(server.url, b.token, { search: '甲店' })).totalCount).toBe(0);
    const stillTheirs = dataOf(await gql(server.url, CUSTOMER.replace('erasedAt', 'erasedAt orders { nodes { totalAmount { amount } } } tags { name }'), { id: theirs.id }, a.token)).customer;
    expect(stillTheirs).toMatchObject({ name: '甲店客户', version: 1, orders: { nodes: [{ totalAmount: { amount: '199.00' } }] } });
  });
});
