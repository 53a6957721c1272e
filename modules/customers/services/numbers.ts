import type { WriteTransaction } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';

export const formatCustomerNo = (n: number) => `C${String(n).padStart(6, '0')}`;

/**
 * Issues `count` new customer numbers of the workspace. One atomic upsert on the workspace's counter row, inside
 * the caller's transaction: concurrent creators queue on the row lock until the holder commits, and a rolled-back
 * transaction takes its increment with it, so a number is never issued twice.
 */
export async function issueCustomerNumbers(tx: WriteTransaction, count: number): Promise<string[]> {
  const [row] = await workspaceSql(tx)<{ value: string }>`
    insert into customer_number_counter (workspace_id, value) values (${WORKSPACE}, ${count})
    on conflict (workspace_id) do update set value = customer_number_counter.value + excluded.value
    returning value`;
  const last = Number(row.value);
  return Array.from({ length: count }, (_, i) => formatCustomerNo(last - count + 1 + i));
}
