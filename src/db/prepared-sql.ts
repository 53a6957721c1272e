import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { recordSqlStatement } from './sql-counter';

/** Names of the prepared statements, by text; past this many texts, statements run unprepared (a bound on what each connection keeps). */
const statementNames = new Map<string, string>();
const MAX_PREPARED_STATEMENTS = 500;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_PREPARED_STATEMENTS) {
    name = `workspace_sql_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Runs a statement, prepared, on a connection of the ORM's pool (the transaction's, when the EntityManager is in one),
 * with `$1` placeholders: workspaceSql's way, and the platform's for its own statements that span workspaces (the
 * event log's reader re-planned its read on every call, most of its cost: bench/RESULTS.md, "Session 5"). Not for
 * modules, whose raw SQL is workspaceSql's, bound to the caller's workspace (test/workspace-sql.test.ts). Through
 * pg itself: MikroORM's `execute` writes the parameters into the text (so nothing could be prepared) and, with knex,
 * costs about twice the client CPU of a prepared statement sent by pg (measured in process). Errors become the ORM's
 * exceptions, as from `execute`; the SQL counter (sql-counter.ts) counts the statement.
 */
export async function runPrepared<T>(em: EntityManager, text: string, values: unknown[]): Promise<T[]> {
  const transaction = em.getTransactionContext<Knex.Transaction>();
  if (transaction?.isCompleted()) throw new Error(`Raw SQL after its transaction ended: ${text.slice(0, 160)}`);
  const client = (transaction ?? em.getConnection().getKnex()).client;
  const connection = await client.acquireConnection();
  try {
    recordSqlStatement();
    const result = await connection.query({ name: statementName(text), text, values });
    return result.rows as T[];
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  } finally {
    await client.releaseConnection(connection);
  }
}

