import { DateTime, IANAZone } from 'luxon';

/** The zone of a new workspace: the shops this service is for are on mainland time. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/**
 * An IANA zone name as PostgreSQL and Intl both know it (`Asia/Shanghai`, `Pacific/Auckland`, `UTC`): `Area/Location`
 * form, so that abbreviations (`CST`, which is three different zones) and POSIX rules (`EST5EDT`) are refused.
 * Whether PostgreSQL knows it too is checked where a zone is saved (`updateWorkspace`), since raw SQL uses it.
 */
export function isTimeZoneName(name: string): boolean {
  return (name === 'UTC' || /^[A-Z][A-Za-z_-]*(\/[A-Za-z0-9_+-]+)+$/.test(name)) && IANAZone.isValidZone(name);
}

/**
 * Dates as a workspace sees them. Every date rule ("today", due dates, birthdays, and later SLAs, RFM windows,
 * "handled today") reckons in the workspace's time zone, never the server's or UTC: at 01:00 in Shanghai it is
 * still yesterday in UTC. Get one with `await ctx.clock()`. Dates are `YYYY-MM-DD` strings, like the LocalDate
 * scalar. Raw SQL does the same with the zone as a parameter: `(placed_at at time zone ?)::date` with
 * `clock.timeZone`, or `workspace.time_zone` in a statement that spans workspaces.
 * Zone arithmetic (offsets, daylight saving) is luxon's: not something to write by hand.
 */
export class WorkspaceClock {
  constructor(readonly timeZone: string) {}

  /** The workspace's current date. */
  today(): string {
    return this.dateOf(new Date());
  }

  /** The workspace's date at an instant. */
  dateOf(instant: Date): string {
    return DateTime.fromJSDate(instant, { zone: this.timeZone }).toISODate()!;
  }

  /** The instant a workspace date begins: its local midnight (or, where daylight saving skips midnight, the first instant of the day). */
  startOf(date: string): Date {
    return DateTime.fromISO(date, { zone: this.timeZone }).startOf('day').toJSDate();
  }
}

/** The calendar date `days` days after `date` (before it when negative); no time zone is involved. */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}
