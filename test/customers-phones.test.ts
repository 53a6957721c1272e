import { adminQuery } from './support/database';
import { dataOf, gql } from './support/client';
import { createUserWithRole, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { createCustomer, CUSTOMER_CREATE, CUSTOMER_UPDATE, search } from './customers-fixtures';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('phone numbers', () => {
  it('accepts Hong Kong, Macao, Taiwan and other countries in E.164, and mainland numbers in their usual forms', async () => {
    const owner = await signUpWorkspace(server.url);
    const cases: [string, string][] = [
      ['+852 9123 4567', '+85291234567'],
      ['00853 6612 3456', '+85366123456'],
      ['+886 912-345-678', '+886912345678'],
      ['+886 (2) 2345 6789', '+886223456789'],
      ['+1 (415) 555-2671', '+14155552671'],
      ['+44 20 7946 0958', '+442079460958'],
      ['+44 7911 123456', '+447911123456'],
      // mainland: the stored forms numbers always had
      ['13812345678', '13812345678'],
      ['+86 139-1234-5678', '13912345678'],
      ['0086 137 1234 5678', '13712345678'],
      ['(+86) 136 1234 5678', '13612345678'],
      ['021-12345678', '021-12345678'],
      ['021 2345 6789', '021-23456789'],
      ['+86 21 8765 4321', '021-87654321'],
      ['0571-88886666', '0571-88886666'],
      ['057188887777', '0571-88887777'],
    ];
    for (const [written, stored] of cases) {
      const customer = await createCustomer(server.url, owner.token, { name: `客户 ${written}`, phone: written });
      expect([written, customer.phone]).toEqual([written, stored]);
    }
    // a merchant's contact phone follows the same rules
    const merchant = dataOf(await gql(server.url, `mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
      customer { merchant { contactPhone } } userErrors { field code } } }`, {
      input: { kind: 'MERCHANT', name: '澳门商户', merchant: { shopName: '手信店', contactPhone: '+853 2888 1234' } },
    }, owner.token)).customerCreate;
    expect(merchant).toEqual({ customer: { merchant: { contactPhone: '+85328881234' } }, userErrors: [] });
  });

  it('answers PHONE_INVALID on the field for numbers that are not phone numbers, and writes nothing', async () => {
    const owner = await signUpWorkspace(server.url);
    const invalid = [
      '12345', // too short for anywhere
      '+852 1234', // Hong Kong numbers have 8 digits
      '+853 123', // so do Macao's
      '91234567', // a Hong Kong number without its country code reads as a (malformed) mainland one
      '+1 415 555', // incomplete
      '+999 1234 5678', // no such country code
      '+86 400 123 4567', // a mainland service number, not a mobile or landline
      '138-1234-567a', // letters
      'call +852 9123 4567', // text around a number
      '+852 9123 4567 ext. 12', // extensions are not stored
      '',
    ];
    for (const phone of invalid) {
      const result = dataOf(await gql(server.url, CUSTOMER_CREATE, { input: { name: '无效号码', phone } }, owner.token)).customerCreate;
      expect([phone, result.customer]).toEqual([phone, null]);
      expect([phone, result.userErrors]).toEqual([phone, [expect.objectContaining({ field: ['input', 'phone'], code: 'PHONE_INVALID' })]]);
    }
    const merchant = dataOf(await gql(server.url, CUSTOMER_CREATE, {
      input: { kind: 'MERCHANT', name: '商户', merchant: { shopName: '小店', contactPhone: '+852 1234' } },
    }, owner.token)).customerCreate;
    expect(merchant.userErrors).toEqual([expect.objectContaining({ field: ['input', 'merchant', 'contactPhone'], code: 'PHONE_INVALID' })]);
    const count = await adminQuery(`select count(*) from customer c join "user" u on u.workspace_id = c.workspace_id where u.email = $1`, server.databaseName, [owner.email]);
    expect(Number(count.rows[0].count)).toBe(0);
  });

  it('deduplicates an international number however it is written, finds it by search, and masks it', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '陈大文', phone: '+852 9123 4567' });
    for (const written of ['+85291234567', '00852 9123-4567', '(+852) 9123 4567']) {
      const result = dataOf(await gql(server.url, CUSTOMER_CREATE, { input: { name: '陈大文二号', phone: written } }, owner.token)).customerCreate;
      expect([written, result.userErrors]).toEqual([written, [expect.objectContaining({ field: ['input', 'phone'], code: 'DUPLICATE' })]]);
    }
    // the same digits under another country code are another number
    const other = await createCustomer(server.url, owner.token, { name: 'Mr Smith', phone: '+44 7911 123456' });
    const update = dataOf(await gql(server.url, CUSTOMER_UPDATE, { input: { id: other.id, version: 1, phone: '00852 91234567' } }, owner.token)).customerUpdate;
    expect(update.userErrors).toEqual([expect.objectContaining({ field: ['input', 'phone'], code: 'DUPLICATE' })]);

    for (const term of ['+852 9123 4567', '00852 9123 4567', '9123 4567', '+8529123']) {
      expect([term, (await search(server.url, owner.token, { search: term })).nodes.map((n: any) => n.id)]).toEqual([term, [customer.id]]);
    }
    const analyst = await createUserWithRole(server.url, owner.token, 'ANALYST');
    const masked = dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { phone } }`, { id: customer.id }, analyst.token)).customer;
    expect(masked.phone).toBe('+852****4567');
  });
});
