// pg's value serialiser, the one it applies to every parameter (no type declarations ship for this file).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require('pg/lib/utils') as { prepareValue: (value: unknown) => unknown };
import type { RequestContext, WriteTransaction } from '../context';

/**
 * Raw SQL bound to the caller's workspace: the one way modules run SQL of their own (hot paths the ORM cannot do
 * in one statement). The ORM's workspace filter (src/db/tenancy.ts) does not reach raw SQL, so this does the same
 * job for it: a statement names the workspace only as `${WORKSPACE}`, which becomes the caller's workspace id, and
 * a statement without it is refused before it runs. A module therefore cannot forget the workspace, nor pass
 * another one. Every table a statement reads or writes is to be narrowed (or stamped) with it, joins included.
 *
 *   const sql = workspaceSql(tx);
 *   const rows = await sql<{ id: string }>`select id from customer where workspace_id = ${WORKSPACE} and id = ${id}`;
 *
 * With a WriteTransaction the statement runs inside its transaction; with a RequestContext, on the request's
 * EntityManager (inside a transaction when that EntityManager is in one). Other values become bound parameters
 * (quoted by the ORM's driver, never spliced into the text). SQL text the program itself composes (a table name,
 * a list of constants) goes in as `sqlText(...)`, a piece with parameters of its own as `sqlFragment\`…\``.
 * Written here rather than taken from sql-template-tag, whose current major is ESM only (the CommonJS build and
 * jest cannot load it): joining the parts is a few lines.
 */
export const WORKSPACE: unique symbol = Symbol('the caller\'s workspace id');

/** A piece of a statement, with parameters of its own, spliced into another one: `sqlFragment`, `sqlText`, `sqlJoin`. */
export class SqlFragment {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

/** A piece of a statement written like a statement: `sqlFragment\`t.workspace_id = ${WORKSPACE}\``. */
export const sqlFragment = (strings: TemplateStringsArray, ...values: unknown[]) => new SqlFragment(strings, values);

/** SQL text written by the program (identifiers from entity metadata, constants), spliced in as it is: never input. */
export const sqlText = (text: string) => new SqlFragment([text], []);

/** Fragments one after the other, `separator` (program text) between them. */
export const sqlJoin = (fragments: SqlFragment[], separator: string) =>
  new SqlFragment(fragments.length ? ['', ...fragments.slice(1).map(() => separator), ''] : [''], fragments);

/** A statement as a tagged template: `sql<Row>\`select …\``, resolving to its rows (`returning` rows for writes). */
export type WorkspaceSql = <T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]) => Promise<T[]>;

export function workspaceSql(scope: RequestContext | WriteTransaction): WorkspaceSql {
  const ctx = 'ctx' in scope ? scope.ctx : scope;
  const em = scope.em;
  return async <T>(strings: TemplateStringsArray, ...values: unknown[]) => {
    const params: unknown[] = [];
    const text = render(new SqlFragment(strings, values), params);
    if (!params.includes(WORKSPACE)) {
      throw new Error(`Raw SQL must be bound to the caller's workspace with \${WORKSPACE}: ${text.slice(0, 160)}`);
    }
    const workspaceId = ctx.workspaceId;
    const bound = params.map((value) => (value === WORKSPACE ? workspaceId : value));
    return em.getConnection().execute<T[]>(text, bound, 'all', em.getTransactionContext());
  };
}

/**
 * An array as one parameter (`id = any(${ids}::uuid[])`): the ORM's query builder would spread a bare array into a
 * list of parameters (`?, ?, ?`), which breaks `any(...)` and an empty list. pg's own serialiser writes the array
 * literal (quoting and escaping each element), so the statement casts one text parameter.
 */
function asPostgresArray(values: unknown[]): string {
  return prepareValue(values) as string;
}

/**
 * The text for the ORM's driver, which reads each bare ? as the next parameter (and ?? as an identifier): a
 * literal ? in the text (the jsonb ? operator) is escaped, and two parameters side by side are kept apart.
 */
function render(fragment: SqlFragment, params: unknown[]): string {
  let text = fragment.strings[0].replaceAll('?', '\\?');
  fragment.values.forEach((value, i) => {
    if (value instanceof SqlFragment) text += render(value, params);
    else {
      text += text.endsWith('?') ? ' ?' : '?';
      params.push(Array.isArray(value) ? asPostgresArray(value) : value);
    }
    text += fragment.strings[i + 1].replaceAll('?', '\\?');
  });
  return text;
}
