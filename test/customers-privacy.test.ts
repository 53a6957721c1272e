import { adminQuery } from './support/database';
import { dataOf, errorCode, gql } from './support/client';
import { createApiKey, createUserWithRole, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { createCustomer, createTag, CUSTOMER, CUSTOMER_CREATE, CUSTOMER_UPDATE, ORDERS_IMPORT, ORDER_UPSERT, order, search } from './customers-fixtures';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const EXPORT = `query($id: ID!) { customerDataExport(id: $id) }`;
const ERASE = `mutation($input: CustomerEraseInput!) { customerErase(input: $input) { customer { id customerNo name phone email nickname erasedAt externalIds { value } tags { name } } userErrors { field code message } } }`;
const MERGE = `mutation($input: CustomerMergeInput!) { customerMerge(input: $input) {
  customer { id customerNo phone email nickname externalIds { platform value } tags { name } orderStats { orderCount totalSpent { amount } } followUps { totalCount } consents { policyVersion } }
  userErrors { field code message } } }`;
const TAGS_ADD = `mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }`;
const FOLLOW_UP = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { followUp { id content } userErrors { code field } } }`;
const CONSENT = `mutation($input: ConsentRecordInput!) { customerConsentRecord(input: $input) { consent { policyVersion marketingConsent channel consentedAt } userErrors { code field } } }`;

describe('masking', () => {
  it('masks phone, email and merchant contact phone for callers without customers:pii, and does not let them search by those', async () => {
    const owner = await signUpWorkspace(server.url);
    const analyst = await createUserWithRole(server.url, owner.token, 'ANALYST');
    const key = await createApiKey(server.url, owner.token, ['customers:read']);
    const merchant = await createCustomer(server.url, owner.token, {
      kind: 'MERCHANT', name: '张掌柜', phone: '13812345678', email: 'zhang@example.com', merchant: { contactPhone: '13987654321' },
    });
    const query = `query($id: ID!) { customer(id: $id) { phone email merchant { contactPhone } } }`;
    for (const token of [analyst.token, key.secret]) {
      expect(dataOf(await gql(server.url, query, { id: merchant.id }, token)).customer).toEqual({
        phone: '138****5678', email: 'z***@example.com', merchant: { contactPhone: '139****4321' },
      });
      expect((await search(server.url, token, { search: '13812345678' })).totalCount).toBe(0);
      expect((await search(server.url, token, { search: 'zhang@example' })).totalCount).toBe(0);
      expect((await search(server.url, token, { search: '掌柜' })).nodes).toEqual([expect.objectContaining({ phone: '138****5678' })]);
    }
    expect(dataOf(await gql(server.url, query, { id: merchant.id }, owner.token)).customer.phone).toBe('13812345678');
    expect((await search(server.url, owner.token, { search: '138 1234' })).totalCount).toBe(1);
    expect((await search(server.url, owner.token, { search: 'ZHANG@example' })).totalCount).toBe(1);
  });
});

describe('deduplication without customers:pii', () => {
  it('refuses a known phone or email as DUPLICATE without naming or identifying the customer who has it', async () => {
    const owner = await signUpWorkspace(server.url);
    const key = await createApiKey(server.url, owner.token, ['customers:read', 'customers:write']);
    const existing = await createCustomer(server.url, owner.token, {
      name: '王重阳', phone: '13866667777', email: 'wang@example.com', externalIds: [{ platform: 'taobao', value: 'tb_wang' }],
    });
    const uuid = Buffer.from(existing.id, 'base64url').toString().split(':')[1];
    const identifies = (message: string) => [existing.id, uuid, existing.customerNo, '王重阳'].some((s) => message.includes(s));

    const probes: [Record<string, unknown>, string][] = [[{ phone: '138 6666 7777' }, 'phone'], [{ email: 'WANG@example.com' }, 'email']];
    for (const [fields, field] of probes) {
      const created = dataOf(await gql(server.url, CUSTOMER_CREATE, { input: { name: '试探', ...fields } }, key.secret)).customerCreate;
      expect(created.customer).toBeNull();
      expect(created.userErrors).toEqual([expect.objectContaining({ field: ['input', field], code: 'DUPLICATE' })]);
      expect({ field, identifies: identifies(created.userErrors[0].message) }).toEqual({ field, identifies: false });

      const other = await createCustomer(server.url, key.secret, { name: `别人${field}` });
      const updated = dataOf(await gql(server.url, CUSTOMER_UPDATE, { input: { id: other.id, version: 1, ...fields } }, key.secret)).customerUpdate;
      expect(updated.userErrors).toEqual([expect.objectContaining({ field: ['input', field], code: 'DUPLICATE' })]);
      expect(identifies(updated.userErrors[0].message)).toBe(false);

      const upserted = dataOf(await gql(server.url, `mutation($input: CustomerUpsertInput!) { customerUpsert(input: $input) { userErrors { field message code } } }`,
        { input: { externalId: { platform: 'wechat', value: `probe-${field}` }, name: '试探', ...fields } }, key.secret)).customerUpsert;
      expect(upserted.userErrors).toEqual([expect.objectContaining({ field: ['input', field], code: 'DUPLICATE' })]);
      expect(identifies(upserted.userErrors[0].message)).toBe(false);
    }
    // External ids are not masked and such callers find customers by them anyway: that duplicate still names the customer.
    const byExternalId = dataOf(await gql(server.url, CUSTOMER_CREATE, { input: { name: '试探', externalIds: [{ platform: 'taobao', value: 'tb_wang' }] } }, key.secret)).customerCreate;
    expect(byExternalId.userErrors).toEqual([expect.objectContaining({ field: ['input', 'externalIds', '0'], code: 'DUPLICATE' })]);
    expect(byExternalId.userErrors[0].message).toContain(existing.customerNo);
    // Callers with customers:pii still learn who has the phone, to merge or correct.
    const withPii = dataOf(await gql(server.url, CUSTOMER_CREATE, { input: { name: '试探', phone: '13866667777' } }, owner.token)).customerCreate;
    expect(withPii.userErrors[0].message).toContain(existing.customerNo);
    expect(withPii.userErrors[0].message).toContain(existing.id);
  });
});

describe('consent, export and erasure', () => {
  it('exports every personal datum held, and audits the export', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, {
      name: '赵敏', nickname: '敏敏', phone: '13711112222', email: 'zhaomin@example.com', birthday: '1995-08-08', province: '广东', city: '深圳',
      externalIds: [{ platform: 'wechat', value: 'o_zhaomin' }],
    });
    const tag = await createTag(server.url, owner.token, { name: '高价值', group: 'CONSUMPTION' });
    dataOf(await gql(server.url, TAGS_ADD, { input: { customerIds: [customer.id], tagIds: [tag.id] } }, owner.token));
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, externalId: 'E-1' }) }, owner.token));
    dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: customer.id, method: 'WECHAT', content: '询问尺码', outcome: '已解答' } }, owner.token));
    const consent = dataOf(await gql(server.url, CONSENT, { input: { customerId: customer.id, policyVersion: '2025-01', marketingConsent: true, channel: 'APP' } }, owner.token)).customerConsentRecord;
    // channels are codes, stored lower-case like platforms
    expect(consent).toMatchObject({ consent: { policyVersion: '2025-01', marketingConsent: true, channel: 'app' }, userErrors: [] });
    const badChannel = dataOf(await gql(server.url, CONSENT, { input: { customerId: customer.id, policyVersion: 'v2', marketingConsent: true, channel: 'app store' } }, owner.token));
    expect(badChannel.customerConsentRecord).toEqual({ consent: null, userErrors: [{ field: ['input', 'channel'], code: 'CODE_INVALID' }] });

    const exported = dataOf(await gql(server.url, EXPORT, { id: customer.id }, owner.token)).customerDataExport;
    expect(exported).toMatchObject({
      customer: { customerNo: customer.customerNo, name: '赵敏', nickname: '敏敏', phone: '13711112222', email: 'zhaomin@example.com', birthday: '1995-08-08', province: '广东', city: '深圳' },
      externalIds: [{ platform: 'wechat', value: 'o_zhaomin' }],
      consents: [{ policyVersion: '2025-01', marketingConsent: true, channel: 'app' }],
      tags: [{ name: '高价值', group: 'CONSUMPTION' }],
      orders: [{ externalId: 'E-1', totalAmount: '199.00', items: [{ sku: 'SKU-1', unitPrice: '199.00' }] }],
      followUps: [{ method: 'WECHAT', content: '询问尺码', outcome: '已解答' }],
    });
    const audit = dataOf(await gql(server.url, `query($id: ID!) { auditLog(subjectId: $id, action: "customers.customer.export") { totalCount } }`, { id: customer.id }, owner.token));
    expect(audit.auditLog.totalCount).toBe(1);
  });

  it('erases personal data everywhere, keeps anonymous order amounts, hides the customer from searches, and refuses a second erase', async () => {
    const owner = await signUpWorkspace(server.url);
    const crm = await createUserWithRole(server.url, owner.token, 'CRM_SPECIALIST');
    const customer = await createCustomer(server.url, owner.token, {
      name: '周芷若', nickname: '芷若', phone: '13733334444', email: 'zhiruo@example.com', notes: '喜欢蓝色', externalIds: [{ platform: 'taobao', value: 'tb_zhiruo' }],
    });
    const tag = await createTag(server.url, owner.token, { name: '宝妈', group: 'DEMOGRAPHIC' });
    dataOf(await gql(server.url, TAGS_ADD, { input: { customerIds: [customer.id], tagIds: [tag.id] } }, owner.token));
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id }) }, owner.token));
    dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: customer.id, method: 'PHONE', content: '她说住在峨眉山', nextFollowUpOn: '2099-01-01' } }, owner.token));

    const erased = dataOf(await gql(server.url, ERASE, { input: { id: customer.id } }, crm.token)).customerErase;
    expect(erased.userErrors).toEqual([]);
    expect(erased.customer).toMatchObject({ customerNo: customer.customerNo, name: '已删除客户', phone: null, email: null, nickname: null, externalIds: [], tags: [] });
    expect(erased.customer.erasedAt).toBeTruthy();

    for (const term of ['周芷若', '芷若', '13733334444', 'zhiruo', 'tb_zhiruo']) {
      expect({ term, found: (await search(server.url, owner.token, { search: term })).totalCount }).toEqual({ term, found: 0 });
    }
    const stats = dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { orderStats { orderCount totalSpent { amount } } followUps { nodes { content } } } }`, { id: customer.id }, owner.token)).customer;
    expect(stats).toEqual({ orderStats: { orderCount: 1, totalSpent: { amount: '199.00' } }, followUps: { nodes: [{ content: '[已删除]' }] } });
    const rows = await adminQuery(`select c.*, (select string_agg(content, ' ') from follow_up f where f.customer_id = c.id) as notes_left from customer c where c.id = $1`, server.databaseName,
      [Buffer.from(customer.id, 'base64url').toString().split(':')[1]]);
    expect(JSON.stringify(rows.rows)).not.toMatch(/周芷若|13733334444|zhiruo|峨眉山|喜欢蓝色/);
    expect(dataOf(await gql(server.url, `{ followUpsDue(days: 60) { totalCount } }`, {}, owner.token)).followUpsDue.totalCount).toBe(0);

    const audit = dataOf(await gql(server.url, `query($id: ID!) { auditLog(subjectId: $id, action: "customers.customer.erase") { nodes { actor { id } } } }`, { id: customer.id }, owner.token));
    expect(audit.auditLog.nodes).toEqual([{ actor: { id: crm.userId } }]);

    const twice = dataOf(await gql(server.url, ERASE, { input: { id: customer.id } }, owner.token)).customerErase;
    expect(twice).toEqual({ customer: null, userErrors: [expect.objectContaining({ field: ['input', 'id'], code: 'ALREADY_DONE' })] });
    const update = dataOf(await gql(server.url, CUSTOMER_UPDATE, { input: { id: customer.id, version: 2, name: '周芷若' } }, owner.token)).customerUpdate;
    expect(update.userErrors[0].code).toBe('CUSTOMER_ERASED');
    // the freed phone may belong to a new customer
    const again = dataOf(await gql(server.url, CUSTOMER_CREATE, { input: { name: '新客户', phone: '13733334444' } }, owner.token)).customerCreate;
    expect(again.userErrors).toEqual([]);
    expect(errorCode(await gql(server.url, ERASE, { input: { id: customer.id } }, (await createUserWithRole(server.url, owner.token, 'AGENT')).token))).toBe('FORBIDDEN');
  });
});

describe('erased customers', () => {
  it('refuses orders, imported rows, tags, follow-ups, consents, corrections and merges for an erased customer, with one rule', async () => {
    const owner = await signUpWorkspace(server.url);
    const erasedOne = await createCustomer(server.url, owner.token, { name: '殷素素' });
    const active = await createCustomer(server.url, owner.token, { name: '张翠山' });
    const tag = await createTag(server.url, owner.token, { name: '回头客', group: 'CONSUMPTION' });
    expect(dataOf(await gql(server.url, ERASE, { input: { id: erasedOne.id } }, owner.token)).customerErase.userErrors).toEqual([]);
    const refusal = (field: string[]) => ({
      field, code: 'CUSTOMER_ERASED', message: `Customer ${erasedOne.customerNo} was erased; its record can no longer change`,
    });
    const errorsOf = async (mutation: string, input: Record<string, unknown>) =>
      (Object.values(dataOf(await gql(server.url, mutation, { input }, owner.token)))[0] as any).userErrors;

    const upsert = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: erasedOne.id, externalId: 'ERASED-1' }) }, owner.token)).orderUpsert;
    expect(upsert).toMatchObject({ order: null, userErrors: [expect.objectContaining(refusal(['input', 'customerId']))] });

    const imported = dataOf(await gql(server.url, ORDERS_IMPORT, {
      input: { orders: [order({ customerId: active.id, externalId: 'OK-1' }), order({ customerId: erasedOne.id, externalId: 'ERASED-2' })] },
    }, owner.token)).ordersImport;
    expect(imported).toEqual({ importedCount: 1, createdCustomers: 0, userErrors: [{ index: 1, ...refusal(['input', 'orders', '1', 'customerId']) }] });

    const tagged = await errorsOf(`mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { field message code } } }`,
      { customerIds: [active.id, erasedOne.id], tagIds: [tag.id] });
    expect(tagged).toEqual([refusal(['input', 'customerIds', '1'])]);

    expect(await errorsOf(`mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { userErrors { field message code } } }`,
      { customerId: erasedOne.id, method: 'PHONE', content: '回访' })).toEqual([refusal(['input', 'customerId'])]);
    expect(await errorsOf(`mutation($input: ConsentRecordInput!) { customerConsentRecord(input: $input) { userErrors { field message code } } }`,
      { customerId: erasedOne.id, policyVersion: 'v1', marketingConsent: true, channel: 'APP' })).toEqual([refusal(['input', 'customerId'])]);
    expect(await errorsOf(CUSTOMER_UPDATE, { id: erasedOne.id, version: 2, nickname: '素素' })).toEqual([expect.objectContaining(refusal(['input', 'id']))]);
    expect(await errorsOf(`mutation($input: CustomerMergeInput!) { customerMerge(input: $input) { userErrors { field message code } } }`,
      { keepId: active.id, mergeId: erasedOne.id })).toEqual([refusal(['input', 'mergeId'])]);

    // Nothing of the refused calls was written: the erased customer has no order, tag, follow-up or consent; the
    // active customer of the refused tagging call was not tagged either.
    const state = dataOf(await gql(server.url, `query($a: ID!, $b: ID!) {
      erased: customer(id: $a) { orders { totalCount } tags { name } followUps { totalCount } consents { policyVersion } nickname }
      active: customer(id: $b) { orders { totalCount } tags { name } } }`, { a: erasedOne.id, b: active.id }, owner.token));
    expect(state).toEqual({
      erased: { orders: { totalCount: 0 }, tags: [], followUps: { totalCount: 0 }, consents: [], nickname: null },
      active: { orders: { totalCount: 1 }, tags: [] },
    });
  });
});

describe('merge', () => {
  it('moves orders, tags, follow-ups, consents and ids onto the kept customer, fills its gaps, and deletes the other', async () => {
    const owner = await signUpWorkspace(server.url);
    const keep = await createCustomer(server.url, owner.token, { name: '杨过', phone: '13755556666' });
    const dupe = await createCustomer(server.url, owner.token, {
      name: '杨过', nickname: '过儿', email: 'yangguo@example.com', externalIds: [{ platform: 'jd', value: 'jd_yangguo' }],
    });
    const vip = await createTag(server.url, owner.token, { name: 'VIP', group: 'CONSUMPTION' });
    const young = await createTag(server.url, owner.token, { name: '年轻', group: 'DEMOGRAPHIC' });
    dataOf(await gql(server.url, TAGS_ADD, { input: { customerIds: [keep.id, dupe.id], tagIds: [vip.id] } }, owner.token));
    dataOf(await gql(server.url, TAGS_ADD, { input: { customerIds: [dupe.id], tagIds: [young.id] } }, owner.token));
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: keep.id, totalAmount: '10.00', items: [] }) }, owner.token));
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: dupe.id, totalAmount: '20.00', items: [] }) }, owner.token));
    dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: dupe.id, method: 'SMS', content: '生日祝福' } }, owner.token));
    dataOf(await gql(server.url, CONSENT, { input: { customerId: dupe.id, policyVersion: 'v2', marketingConsent: false, channel: 'WEB' } }, owner.token));

    const itself = dataOf(await gql(server.url, MERGE, { input: { keepId: keep.id, mergeId: keep.id } }, owner.token)).customerMerge;
    expect(itself).toEqual({ customer: null, userErrors: [expect.objectContaining({ field: ['input', 'mergeId'], code: 'MERGE_SAME_CUSTOMER' })] });

    const merged = dataOf(await gql(server.url, MERGE, { input: { keepId: keep.id, mergeId: dupe.id } }, owner.token)).customerMerge;
    expect(merged.userErrors).toEqual([]);
    expect(merged.customer).toEqual({
      id: keep.id, customerNo: keep.customerNo, phone: '13755556666', email: 'yangguo@example.com', nickname: '过儿',
      externalIds: [{ platform: 'jd', value: 'jd_yangguo' }], tags: [{ name: 'VIP' }, { name: '年轻' }],
      orderStats: { orderCount: 2, totalSpent: { amount: '30.00' } }, followUps: { totalCount: 1 }, consents: [{ policyVersion: 'v2' }],
    });
    const gone = await gql(server.url, CUSTOMER, { id: dupe.id }, owner.token);
    expect({ data: gone.data, errors: gone.errors }).toEqual({ data: { customer: null }, errors: undefined });
    expect((await search(server.url, owner.token, { search: 'jd_yangguo' })).nodes.map((n: any) => n.id)).toEqual([keep.id]);
    const again = dataOf(await gql(server.url, MERGE, { input: { keepId: keep.id, mergeId: dupe.id } }, owner.token)).customerMerge;
    expect(again.userErrors).toEqual([expect.objectContaining({ field: ['input', 'mergeId'], code: 'NOT_FOUND' })]);
    // the merged customer's number is not issued again
    expect((await createCustomer(server.url, owner.token, { name: '小龙女' })).customerNo).toBe('C000003');
  });
});
