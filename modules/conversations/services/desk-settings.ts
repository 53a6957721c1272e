import type { WriteTransaction } from '../../../src/context';
import { sqlFragment, WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { WorkspaceClock } from '../../../src/kernel/clock';

/**
 * What the assignments and timers of a transaction ask of the workspace: its clock (today, for handled-today counts;
 * business hours) and the reassignment limit of agent silence. Read once per transaction, and usually with no
 * statement of its own: the first read of a start or a close selects DESK_SETTINGS_COLUMNS along with its rows and
 * hands them to knowDeskSettings (each round trip costs the desk's throughput: bench/RESULTS.md).
 */
export interface DeskSettings {
  clock: WorkspaceClock;
  reassignAfterSilenceSeconds: number | null;
}

/** Columns to add to a statement's select list (one row), for knowDeskSettings. */
export const DESK_SETTINGS_COLUMNS = sqlFragment`(select w.time_zone from workspace w where w.id = ${WORKSPACE}) as desk_time_zone,
  (select s.reassign_after_silence_seconds from conversation_settings s where s.workspace_id = ${WORKSPACE}) as desk_reassign_after`;

interface DeskSettingsRow {
  desk_time_zone: string;
  desk_reassign_after: number | null;
}

const known = new WeakMap<WriteTransaction, Promise<DeskSettings>>();

const settingsOf = (row: DeskSettingsRow): DeskSettings => ({ clock: new WorkspaceClock(row.desk_time_zone), reassignAfterSilenceSeconds: row.desk_reassign_after });

/** The settings, as a statement that selected DESK_SETTINGS_COLUMNS read them. */
export function knowDeskSettings(tx: WriteTransaction, row: DeskSettingsRow): void {
  if (!known.has(tx)) known.set(tx, Promise.resolve(settingsOf(row)));
}

/** The transaction's desk settings: known already, or read now (once). */
export function deskSettingsOf(tx: WriteTransaction): Promise<DeskSettings> {
  let settings = known.get(tx);
  if (!settings) {
    settings = workspaceSql(tx)<DeskSettingsRow>`select ${DESK_SETTINGS_COLUMNS}`.then(([row]) => settingsOf(row));
    known.set(tx, settings);
  }
  return settings;
}
