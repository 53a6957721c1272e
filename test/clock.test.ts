import { addDays, isTimeZoneName, WorkspaceClock } from '../src/kernel/clock';

describe('WorkspaceClock', () => {
  it('dates an instant in the workspace zone, not in UTC', () => {
    const instant = new Date('2026-11-30T20:30:00Z');
    expect(new WorkspaceClock('Asia/Shanghai').dateOf(instant)).toBe('2026-12-01');
    expect(new WorkspaceClock('Pacific/Auckland').dateOf(instant)).toBe('2026-12-01');
    expect(new WorkspaceClock('America/Los_Angeles').dateOf(instant)).toBe('2026-11-30');
  });

  it('gives the instant a day begins, also where daylight saving skips midnight', () => {
    expect(new WorkspaceClock('Asia/Shanghai').startOf('2026-12-01').toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(new WorkspaceClock('Pacific/Auckland').startOf('2026-12-01').toISOString()).toBe('2026-11-30T11:00:00.000Z');
    // Chile moves its clocks from 00:00 to 01:00 on 2026-09-06: the day starts at 01:00 local (04:00Z)
    expect(new WorkspaceClock('America/Santiago').startOf('2026-09-06').toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('adds calendar days across month, year and leap-day boundaries', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('takes IANA Area/Location names only', () => {
    for (const name of ['Asia/Shanghai', 'Asia/Hong_Kong', 'America/Argentina/Buenos_Aires', 'Etc/GMT+12', 'UTC']) expect([name, isTimeZoneName(name)]).toEqual([name, true]);
    for (const name of ['CST', 'EST5EDT', '+08:00', 'Mars/Olympus_Mons', 'asia/shanghai', '']) expect([name, isTimeZoneName(name)]).toEqual([name, false]);
  });
});
