import type { EntityData, EntityManager, EntityMetadata } from '@mikro-orm/postgresql';
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
 * A row read with workspaceSql (column names as keys; a `jsonb` row from `to_jsonb` too) as an entity of the
 * EntityManager, made the way em.find makes one of each row it reads: hydrated by the ORM's compiled hydrator and
 * kept in the identity map (an entity already there is updated and returned), so later lookups of the request find
 * it without a statement (`findByIds`, `customerById`). About 25 µs an entity in process.
 */
export function entityOfRow<T extends object>(em: EntityManager, entity: new (...args: any[]) => T, row: Record<string, unknown>): T {
  const data = em.getDriver().mapResult(row as EntityData<T>, em.getMetadata().get<T>(entity.name));
  return em.getEntityFactory().create<T>(entity, data!, { merge: true, convertCustomTypes: true });
}

/**
 * A row read with workspaceSql as a read-only view of an entity, for rows a request only shows (the pages of nested
 * lists): an instance of the entity's class (its getters and GraphQL fields work), its values converted by the ORM's
 * own compiled hydrator as em.find converts them, its many-to-one relations the EntityManager's references (the
 * entity itself when the request holds it). It is not in the identity map and never flushed: a service that changes
 * a row loads it through the EntityManager. About 3 µs an entity against entityOfRow's 25 (measured in process),
 * which a page pays per row: MikroORM's entity creation (its per-instance property accessors, the unit of work's
 * snapshot) was the largest item of the workbench read's profile once the statements were raw SQL.
 */
export function viewOfRow<T extends object>(em: EntityManager, entity: new (...args: any[]) => T, row: Record<string, unknown>): T {
  const meta = em.getMetadata().get<T>(entity.name);
  const view = Object.create(viewPrototype(meta)) as T;
  em.config.getHydrator(em.getMetadata()).hydrate(view, meta, em.getDriver().mapResult(row as EntityData<T>, meta)!, em.getEntityFactory(), 'full', false, true);
  return view;
}

const viewPrototypes = new WeakMap<EntityMetadata, object>();

/**
 * The entity's prototype under plain writable properties of the same names: MikroORM puts a setter on the entity's
 * prototype for each property, which on first use makes the instance a managed one (its own accessors, change
 * tracking); a view's values are plain properties of its own.
 */
function viewPrototype(meta: EntityMetadata): object {
  let prototype = viewPrototypes.get(meta);
  if (!prototype) {
    const plain = { value: undefined, writable: true, enumerable: true, configurable: true };
    prototype = Object.create(meta.prototype, Object.fromEntries(meta.props.map((prop) => [prop.name, plain]))) as object;
    viewPrototypes.set(meta, prototype);
  }
  return prototype;
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
      params.push(value);
    }
    text += fragment.strings[i + 1].replaceAll('?', '\\?');
  });
  return text;
}
