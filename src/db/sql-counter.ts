import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counts the SQL statements run on behalf of one request, so tests can prove a list has no N+1
 * (`extensions.sqlStatements`, on when EXPOSE_SQL_COUNT is set). Fed by the query events of the ORM's connection.
 */
const storage = new AsyncLocalStorage<{ statements: number }>();

/** Runs `work` (the rest of a request) with a fresh counter. */
export function withSqlCounter<T>(work: () => T): T {
  return storage.run({ statements: 0 }, work);
}

export function currentSqlCount(): number | undefined {
  return storage.getStore()?.statements;
}

export function recordSqlStatement(): void {
  const counter = storage.getStore();
  if (counter) counter.statements += 1;
}
