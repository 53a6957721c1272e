import { ReferenceKind } from '@mikro-orm/core';
import type { EntityManager, EntityMetadata } from '@mikro-orm/postgresql';
import type { RequestContext, WriteTransaction } from '../context';
import { entityOfRow } from './entity-views';
import { runPrepared } from './prepared-sql';

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
 * ($1, $2…, never spliced into the text), serialised by pg: a list is one parameter, an array
 * (`id = any(${ids}::uuid[])`, pg writes the array literal) or jsonb (`${JSON.stringify(rows)}::jsonb`), so a
 * statement's text does not grow with its input. SQL text the program itself composes (a table name, a list
 * of constants) goes in as `sqlText(...)`, a piece with parameters of its own as `sqlFragment\`…\``.
 *
 * Statements run as prepared statements, named after their text, on the connections of the ORM's pool: PostgreSQL
 * plans such a statement once per connection instead of on every run, which was most of its CPU for the workbench
 * read's statements (0.4–0.5 ms each, 0.06–0.1 ms prepared, measured on this machine; see bench/RESULTS.md). So a
 * statement names its columns (`entityColumns`) rather than `select *` from a table: a column a later migration
 * adds would change a prepared `*`'s result, which PostgreSQL refuses on the instances still running.
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
    return runPrepared<T>(em, text, params.map((value) => (value === WORKSPACE ? workspaceId : value)));
  };
}

/**
 * The columns of an entity's table, qualified with `alias`, for a statement's select list:
 * `select ${entityColumns(em, Order, 't')} from customer_order t`. Rows read this way are what entityOfRow and
 * viewOfRow take.
 */
export function entityColumns(em: EntityManager, entity: new (...args: any[]) => object, alias: string): SqlFragment {
  const meta = em.getMetadata().get(entity.name);
  let byAlias = columnLists.get(meta);
  if (!byAlias) columnLists.set(meta, (byAlias = new Map()));
  let columns = byAlias.get(alias);
  if (!columns) {
    const stored = meta.props.filter((prop) => prop.persist !== false && prop.fieldNames?.length
      && (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)));
    columns = sqlText(stored.flatMap((prop) => prop.fieldNames).map((field) => `${alias}."${field}"`).join(', '));
    byAlias.set(alias, columns);
  }
  return columns;
}

const columnLists = new WeakMap<EntityMetadata, Map<string, SqlFragment>>();

/**
 * The caller's workspace's entity with this id, its row locked FOR UPDATE until the transaction ends and the entity
 * refreshed from it in the identity map, or null: what `tx.em.findOne(Entity, id, { lockMode: PESSIMISTIC_WRITE,
 * refresh: true })` does, for a fraction of its CPU. MikroORM builds that statement through its query builder and
 * knex on every call, and PostgreSQL plans it every time (its values are written into the text); this one is
 * prepared (runPrepared) and the row becomes an entity as em.find makes one (entityOfRow). A lock is the first
 * statement of most write transactions: with it a no-op conversationMarkRead took about half the CPU in process
 * (1.7 ms against 3.6, under Jest).
 */
export async function lockEntity<T extends WorkspaceScoped>(tx: WriteTransaction, entity: new (...args: any[]) => T, id: string): Promise<T | null> {
  const table = sqlText(`"${tx.em.getMetadata().get(entity.name).tableName}"`);
  const [row] = await workspaceSql(tx)`select ${entityColumns(tx.em, entity, 't')} from ${table} t where t.workspace_id = ${WORKSPACE} and t.id = ${id} for update`;
  return row ? entityOfRow(tx.em, entity, row, { refresh: true }) : null;
}

/** What lockEntity locks: a row of a workspace's own, found by its uuid `id`. */
type WorkspaceScoped = { id: string; workspace: { id: string } };

/**
 * The text with $1, $2… for the parameters, which go to `params`; the workspace is one parameter however often it is
 * named. Two parameters side by side are kept apart ($1$2 would be one token to PostgreSQL).
 */
function render(fragment: SqlFragment, params: unknown[]): string {
  let text = fragment.strings[0];
  fragment.values.forEach((value, i) => {
    if (value instanceof SqlFragment) text += render(value, params);
    else {
      let index = value === WORKSPACE ? params.indexOf(WORKSPACE) : -1;
      if (index < 0) index = params.push(value) - 1;
      text += `${/\$\d+$/.test(text) ? ' ' : ''}$${index + 1}`;
    }
    text += fragment.strings[i + 1];
  });
  return text;
}
