import type { FilterQuery } from '@mikro-orm/postgresql';
import type { ClassType } from 'type-graphql';
import type { RequestContext } from '../context';
import { byKey, defineLoader, groupByKey } from '../context/loaders';
import { viewOfRow } from '../db/entity-views';
import { entityColumns, sqlFragment, sqlJoin, sqlText, WORKSPACE, workspaceSql } from '../db/workspace-sql';
import {
  type ConnectionShape, connectionOf, lazy, type ListSort, type PageArgs, pageRequest, paginate, scanDirection, type SortInput,
} from './connection';

/*
 * A connection inside a list (a customer's orders in a customer list, later a conversation's messages or an
 * order's cases): paginated one parent at a time it costs two statements per parent (page and count), 100 parents
 * 200 statements. So:
 * - a page from either end of the list (no `after` or `before`: `first` reads the start, `last` the end) of every
 *   parent in the request comes from one DataLoader statement, whatever the orders and sizes asked (aliases);
 * - `totalCount` from one grouped count, whatever the page;
 * - a page from a cursor is one parent's by nature (a cursor belongs to one parent's list) and goes through
 *   `paginate`, one parent at a time.
 * The batched page reads with `paginate`'s own page request, sort key and reading direction and builds the
 * connection with its `connectionOf`, so both paths order rows and make cursors the same way, and a cursor of a
 * batched page continues on the `paginate` path, in either direction.
 *
 * The batched page is plain SQL (workspaceSql, a prepared statement) and its nodes are read-only views of the entity
 * (viewOfRow), not managed entities: a page is shown, not changed, and MikroORM's query building and entity creation
 * were most of the workbench read's CPU (issue 8). A service that changes a child loads it through the EntityManager.
 *
 * The cached pages cannot go stale inside a mutation document: RequestContext.transaction clears the request's
 * DataLoaders when a transaction commits.
 */

/** The arguments of a nested list field: PageArgs and its `sort`. */
export type NestedConnectionArgs = PageArgs & { sort?: SortInput<any> | null };

export interface NestedConnectionDefinition<T extends object> {
  /** Unique name of the list, e.g. `customers.ordersOfCustomer`; names its DataLoaders. */
  name: string;
  /** The children: a workspace-scoped entity. */
  entity: ClassType<T>;
  /** The children's many-to-one property naming the parent, e.g. `customer` (its column is indexed with the sort's). */
  parentKey: keyof T & string;
  /** The orders the list offers (defineSort). */
  sort: ListSort<any>;
}

/** One parent's children as a connection, for the field's arguments; batched with the other parents of the request. */
export type NestedConnection<T> = (ctx: RequestContext, parentId: string, args: NestedConnectionArgs) => Promise<ConnectionShape<T>>;

/** What a batched page is: whose rows, by which sort property, read in which direction, how many. */
interface PageWanted {
  parentId: string;
  field: string;
  direction: 'asc' | 'desc';
  limit: number;
}

/**
 * Declares a nested list once: `const ordersOfCustomer = defineNestedConnection({ name, entity: Order,
 * parentKey: 'customer', sort: ORDER_SORT })`, then in the field resolver `ordersOfCustomer(ctx, customer.id, args)`.
 */
export function defineNestedConnection<T extends { id: string }>(definition: NestedConnectionDefinition<T>): NestedConnection<T> {
  const { name, entity, parentKey } = definition;

  /** Table and column names from the entity's metadata, quoted for the statements below. */
  const columnsOf = (ctx: RequestContext) => {
    const meta = ctx.em.getMetadata().get(entity.name);
    if (!meta.properties.workspace) throw new Error(`${name}: ${entity.name} is not workspace-scoped`);
    const fieldOf = (property: string) => {
      const field = meta.properties[property as keyof typeof meta.properties]?.fieldNames?.[0];
      if (!field) throw new Error(`${name}: ${entity.name} has no column for ${property}`);
      return field;
    };
    const parentColumn = fieldOf(parentKey);
    return {
      table: sqlText(`"${meta.tableName}"`),
      parentColumn,
      parent: sqlText(`"${parentColumn}"`),
      column: (property: string) => sqlText(`"${fieldOf(property)}"`),
    };
  };

  /*
   * The first `limit` rows per parent for a batch of PageWanted keys, in one statement: per order asked (sort
   * property and direction), a lateral join reads each parent's rows through the (parent, sort) index from one end
   * and stops at the limit, so a long history costs what a short one does. The rank numbers the rows of each page
   * in the order read (the id breaking ties, as paginate orders), whatever order the union returns them in.
   */
  const pages = defineLoader<string, T[]>(`${name}.pages`, async (keys, ctx) => {
    const { table, parentColumn, parent, column } = columnsOf(ctx);
    const wanted = keys.map((key) => JSON.parse(key) as PageWanted);
    const orders = [...new Set(wanted.map((w) => `${w.field} ${w.direction}`))];
    const branches = orders.map((order, index) => {
      const [field, direction] = order.split(' ');
      // From the list's sort definitions, never from the client; checked anyway, as they go into SQL.
      if (direction !== 'asc' && direction !== 'desc') throw new Error(`${name}: cannot read in direction ${direction}`);
      const limits = new Map<string, number>();
      for (const w of wanted) if (`${w.field} ${w.direction}` === order) limits.set(w.parentId, Math.max(limits.get(w.parentId) ?? 0, w.limit));
      const parents = JSON.stringify([...limits].map(([id, n]) => ({ id, n })));
      const orderBy = sqlFragment`${column(field)} ${sqlText(direction)}, id ${sqlText(direction)}`;
      return sqlFragment`
        select ${sqlText(String(index))} as nested_order, r.* from jsonb_to_recordset(${parents}::jsonb) as p(id uuid, n int)
        cross join lateral (
          select s.*, row_number() over (order by ${orderBy}) as nested_rank from (
            select ${entityColumns(ctx.em, entity, 't')} from ${table} t where t.workspace_id = ${WORKSPACE} and t.${parent} = p.id order by ${orderBy} limit p.n
          ) s
        ) r`;
    });
    const rows = await workspaceSql(ctx)<Record<string, unknown>>`${sqlJoin(branches, ' union all ')} order by nested_order, nested_rank`;
    const read = rows.map(({ nested_order: order, nested_rank: _rank, ...columns }) => ({
      page: `${orders[order as number]} ${columns[parentColumn]}`,
      entity: viewOfRow(ctx.em, entity, columns),
    }));
    const byPage = groupByKey(wanted.map((w) => `${w.field} ${w.direction} ${w.parentId}`), read, (r) => r.page);
    return byPage.map((group, i) => group.slice(0, wanted[i].limit).map((r) => r.entity));
  });

  /** How many children each parent has, for a batch of parents in one grouped count. */
  const counts = defineLoader<string, number>(`${name}.counts`, async (parentIds, ctx) => {
    const { table, parent } = columnsOf(ctx);
    const rows = await workspaceSql(ctx)<{ parent_id: string; n: number }>`
      select ${parent} as parent_id, count(*)::int as n from ${table}
      where workspace_id = ${WORKSPACE} and ${parent} in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(parentIds)}::jsonb))
      group by ${parent}`;
    return byKey(parentIds, rows, (r) => r.parent_id).map((r) => r?.n ?? 0);
  });

  return async (ctx, parentId, args) => {
    const sort = definition.sort.sortKey(args.sort);
    const page = pageRequest(args, sort);
    const totalCount = lazy(() => counts(ctx).load(parentId));
    if (page.cursor) {
      const where = { [parentKey]: parentId } as FilterQuery<T>;
      return { ...(await paginate(ctx.em, entity, where, args, sort)), totalCount };
    }
    // One row more than the page, as paginate reads, to know whether the list goes on.
    const wanted: PageWanted = { parentId, field: sort.field, direction: scanDirection(page, sort), limit: page.size + 1 };
    return connectionOf(await pages(ctx).load(JSON.stringify(wanted)), page, sort, totalCount);
  };
}
