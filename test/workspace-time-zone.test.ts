import { dataOf, errorCode, gql } from './support/client';
import { createUserWithRole, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { createCustomer } from './customers-fixtures';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const WORKSPACE_UPDATE = `mutation($input: WorkspaceUpdateInput!) {
  workspaceUpdate(input: $input) { workspace { name timeZone today version } userErrors { field message code } } }`;

/** The date in a zone, computed here with Intl alone (not with the server's code). */
function dateIn(zone: string, instant = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Seconds until the next midnight in a zone. */
function secondsToMidnight(zone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' })
    .formatToParts(new Date());
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return 86_400 - (part('hour') * 3600 + part('minute') * 60 + part('second'));
}

/** Room for a wait of up to a minute (clearOfMidnight) before a scenario. */
const MIDNIGHT_WAIT_TIMEOUT = 120_000;

/** A scenario takes a few seconds: one that would straddle a zone's midnight starts just after it instead. */
async function clearOfMidnight(zone: string): Promise<void> {
  const left = secondsToMidnight(zone);
  if (left < 60) await new Promise((resolve) => setTimeout(resolve, (left + 2) * 1000));
}

async function workspaceIn(zone: string) {
  const owner = await signUpWorkspace(server.url);
  const updated = dataOf(await gql(server.url, WORKSPACE_UPDATE, { input: { version: 1, timeZone: zone } }, owner.token)).workspaceUpdate;
  expect(updated).toMatchObject({ workspace: { timeZone: zone, version: 2 }, userErrors: [] });
  return owner;
}

describe('workspace time zone setting', () => {
  it('defaults to Asia/Shanghai; an OWNER changes it with the version read, audited; invalid names and stale versions change nothing', async () => {
    const owner = await signUpWorkspace(server.url, '时区小店');
    const read = `{ workspace { name timeZone today version } }`;
    expect(dataOf(await gql(server.url, read, {}, owner.token)).workspace).toEqual({
      name: '时区小店', timeZone: 'Asia/Shanghai', today: dateIn('Asia/Shanghai'), version: 1,
    });

    for (const timeZone of ['Mars/Olympus_Mons', 'CST', 'EST5EDT', '+08:00', 'asia/shanghai', 'Asia/Shanghai; drop table workspace', '']) {
      const refused = dataOf(await gql(server.url, WORKSPACE_UPDATE, { input: { version: 1, timeZone } }, owner.token)).workspaceUpdate;
      expect([timeZone, refused]).toEqual([timeZone, { workspace: null, userErrors: [expect.objectContaining({ field: ['input', 'timeZone'], code: 'TIME_ZONE_INVALID' })] }]);
    }
    const changed = dataOf(await gql(server.url, WORKSPACE_UPDATE, { input: { version: 1, timeZone: 'Asia/Hong_Kong', name: '时区小店（香港）' } }, owner.token)).workspaceUpdate;
    expect(changed).toEqual({
      workspace: { name: '时区小店（香港）', timeZone: 'Asia/Hong_Kong', today: dateIn('Asia/Hong_Kong'), version: 2 }, userErrors: [],
    });
    const stale = dataOf(await gql(server.url, WORKSPACE_UPDATE, { input: { version: 1, timeZone: 'Asia/Taipei' } }, owner.token)).workspaceUpdate;
    expect(stale).toEqual({ workspace: null, userErrors: [expect.objectContaining({ field: ['input', 'version'], code: 'VERSION_CONFLICT' })] });
    // an alias PostgreSQL and Intl both know is kept as written
    const alias = dataOf(await gql(server.url, WORKSPACE_UPDATE, { input: { version: 2, timeZone: 'Asia/Kolkata' } }, owner.token)).workspaceUpdate;
    expect(alias.workspace).toMatchObject({ timeZone: 'Asia/Kolkata', today: dateIn('Asia/Kolkata'), version: 3 });

    const audit = dataOf(await gql(server.url, `query($id: ID!) { auditLog(subjectId: $id) { nodes { action changes } } }`, {
      id: dataOf(await gql(server.url, `{ workspace { id } }`, {}, owner.token)).workspace.id,
    }, owner.token)).auditLog.nodes.filter((n: any) => n.action === 'platform.workspace.update');
    expect(audit.map((n: any) => n.changes)).toEqual(expect.arrayContaining([
      { name: '时区小店（香港）', timeZone: 'Asia/Hong_Kong' }, { timeZone: 'Asia/Kolkata' },
    ]));
    expect(audit).toHaveLength(2);
  });

  it('is the OWNER\'s: a MANAGER and API keys cannot change it', async () => {
    const owner = await signUpWorkspace(server.url);
    const manager = await createUserWithRole(server.url, owner.token, 'MANAGER');
    const response = await gql(server.url, WORKSPACE_UPDATE, { input: { version: 1, timeZone: 'Asia/Taipei' } }, manager.token);
    expect(errorCode(response)).toBe('FORBIDDEN');
    const permissions = dataOf(await gql(server.url, `{ permissions { name roles scopable } }`)).permissions;
    expect(permissions.find((p: any) => p.name === 'workspace:write')).toEqual({ name: 'workspace:write', roles: ['OWNER'], scopable: false });
    expect(dataOf(await gql(server.url, `{ workspace { timeZone version } }`, {}, owner.token)).workspace).toEqual({ timeZone: 'Asia/Shanghai', version: 1 });
  });
});

/*
 * Kiritimati (UTC+14) and Pago Pago (UTC−11) are 25 hours apart, so their dates always differ, and at every instant
 * at least one of them differs from UTC's: a server reckoning in UTC fails this test whenever it runs. Auckland and
 * Los Angeles are the everyday case (21 hours apart, different dates 21 hours a day).
 */
const ZONES = ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Pacific/Auckland', 'America/Los_Angeles'];

describe('date rules reckon in the workspace time zone', () => {
  it('the zones of this test include one whose date differs from UTC right now', () => {
    expect(ZONES.some((zone) => dateIn(zone) !== dateIn('UTC'))).toBe(true);
  });

  it.each(ZONES)('%s: today, birthdays today and tomorrow, age, birthdays in the future', async (zone) => {
    await clearOfMidnight(zone);
    const owner = await workspaceIn(zone);
    const today = dateIn(zone);
    expect(dataOf(await gql(server.url, `{ workspace { today } }`, {}, owner.token)).workspace.today).toBe(today);

    const monthDay = (date: string) => date.slice(5);
    // 1992 is a leap year, so every month-day is a valid birthday
    for (const [name, date] of [['昨天生日', addDays(today, -1)], ['今天生日', today], ['明天生日', addDays(today, 1)]]) {
      await createCustomer(server.url, owner.token, { name, birthday: `1992-${monthDay(date)}` });
    }
    const birthdays = `query($days: Int!) { upcomingBirthdays(days: $days, first: 10) { nodes { name } } }`;
    const names = async (days: number) =>
      dataOf(await gql(server.url, birthdays, { days }, owner.token)).upcomingBirthdays.nodes.map((n: any) => n.name).sort();
    expect(await names(0)).toEqual(['今天生日']);
    expect(await names(1)).toEqual(['今天生日', '明天生日']);

    // turning 30 today, wherever UTC is
    const thirty = await createCustomer(server.url, owner.token, { name: '三十岁', birthday: `${Number(today.slice(0, 4)) - 30}-${monthDay(today)}` });
    const age = dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { portrait { age } } }`, { id: thirty.id }, owner.token));
    expect(age.customer.portrait.age).toBe(30);

    // born today is not in the future; born tomorrow is
    await createCustomer(server.url, owner.token, { name: '今天出生', birthday: today });
    const future = dataOf(await gql(server.url, `mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { userErrors { field code } } }`, {
      input: { name: '明天出生', birthday: addDays(today, 1) },
    }, owner.token)).customerCreate;
    expect(future.userErrors).toEqual([{ field: ['input', 'birthday'], code: 'DATE_IN_FUTURE' }]);
  }, MIDNIGHT_WAIT_TIMEOUT);

  it.each(ZONES)('%s: follow-ups due today and tomorrow, and no next date before the day of the follow-up', async (zone) => {
    await clearOfMidnight(zone);
    const owner = await workspaceIn(zone);
    const today = dateIn(zone);
    const followUp = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { followUp { id } userErrors { field code } } }`;
    const plan = async (name: string, nextFollowUpOn: string) => {
      const customer = await createCustomer(server.url, owner.token, { name });
      return dataOf(await gql(server.url, followUp, { input: { customerId: customer.id, method: 'PHONE', content: '回访', nextFollowUpOn } }, owner.token)).followUpCreate;
    };
    expect((await plan('今天回访', today)).userErrors).toEqual([]);
    expect((await plan('明天回访', addDays(today, 1))).userErrors).toEqual([]);
    expect((await plan('昨天回访', addDays(today, -1))).userErrors).toEqual([{ field: ['input', 'nextFollowUpOn'], code: 'DATE_OUT_OF_ORDER' }]);

    const due = `query($days: Int!) { followUpsDue(days: $days, first: 10) { nodes { nextFollowUpOn customer { name } } } }`;
    const dueNames = async (days: number) =>
      dataOf(await gql(server.url, due, { days }, owner.token)).followUpsDue.nodes.map((n: any) => n.customer.name);
    expect(await dueNames(0)).toEqual(['今天回访']);
    expect(await dueNames(1)).toEqual(['今天回访', '明天回访']);
  }, MIDNIGHT_WAIT_TIMEOUT);
});
