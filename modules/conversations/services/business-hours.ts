import { DateTime } from 'luxon';
import { UserError, UserErrorCode } from '../../../src/graphql/user-errors';
import type { BusinessHoursDay } from '../entities/channel';

/** Minutes since local midnight of `HH:mm` (24:00 is 1440, the end of the day). */
function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours * 60 + minutes;
}

/**
 * Whether a channel with these business hours is open at `instant`, in the workspace's time zone (`clock.timeZone`
 * of src/kernel/clock.ts): its local weekday (ISO, 1 Monday) has a range with from ≤ local time < to. No hours
 * (null) means always open; a weekday without a range is closed. Luxon does the zone arithmetic (offsets, daylight
 * saving).
 */
export function isOpenAt(channel: { businessHours?: BusinessHoursDay[] | null }, instant: Date, timeZone: string): boolean {
  if (channel.businessHours == null) return true;
  const local = DateTime.fromJSDate(instant, { zone: timeZone });
  const minute = local.hour * 60 + local.minute;
  return channel.businessHours.some((day) => day.weekday === local.weekday && minutesOf(day.from) <= minute && minute < minutesOf(day.to));
}

/**
 * What is wrong with business hours whose fields are each well-formed (the input's rules checked weekday and
 * HH:mm): a range that does not end after it starts, or that overlaps another range of its weekday. The field is
 * the range's index in `input.businessHours`.
 */
export function businessHoursProblems(days: BusinessHoursDay[]): UserError[] {
  const problems: UserError[] = [];
  days.forEach((day, i) => {
    const field = ['input', 'businessHours', String(i)];
    if (day.from >= day.to) {
      problems.push(UserError.of([...field, 'to'], `Closes at ${day.to}, not after it opens at ${day.from}`, UserErrorCode.DATE_OUT_OF_ORDER));
      return;
    }
    const overlapped = days.findIndex((other, j) => j < i && other.weekday === day.weekday && other.from < other.to && other.from < day.to && day.from < other.to);
    if (overlapped >= 0) {
      const other = days[overlapped];
      problems.push(UserError.of(field, `${day.from}–${day.to} overlaps ${other.from}–${other.to} (range ${overlapped}) on weekday ${day.weekday}`, UserErrorCode.DATE_OUT_OF_ORDER));
    }
  });
  return problems;
}
