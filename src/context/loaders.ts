import { wrap } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import type { RequestContext } from '.';

/**
 * Declares a DataLoader once, at module level; each request gets its own instance on first use, built on that
 * request's EntityManager, so batching and caching never cross requests or workspaces.
 *
 *   export const tagsOfCustomer = defineLoader<string, Tag[]>('customers.tagsOfCustomer', async (ids, ctx) => ...);
 *   tagsOfCustomer(ctx).load(customer.id)
 */
export function defineLoader<K, V>(
  name: string,
  batch: (keys: readonly K[], ctx: RequestContext) => Promise<ReadonlyArray<V | Error>>,
): (ctx: RequestContext) => DataLoader<K, V> {
  return (ctx) => {
    let loader = ctx.loaders.get(name) as DataLoader<K, V> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V>((keys) => batch(keys, ctx));
      ctx.loaders.set(name, loader);
    }
    return loader;
  };
}

/** Orders batch results to match the keys: `byKey(keys, rows, r => r.id)`; a missing key yields `fallback`. */
export function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K, fallback: V | null = null): (V | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? fallback);
}

/** Groups batch results per key: `groupByKey(keys, rows, r => r.customerId)`. */
export function groupByKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const groups = new Map<K, V[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}

/**
 * Entities by uuid, in the order of `ids` (null where none): those the request's EntityManager already holds come
 * from its identity map without a statement (em.find would return those same instances anyway), the rest from one.
 */
export async function findByIds<T extends { id: string }>(ctx: RequestContext, entity: new (...args: any[]) => T, ids: readonly string[]): Promise<(T | null)[]> {
  const known = ids
    .map((id) => ctx.em.getUnitOfWork().getById<T>(entity.name, id as never)) // the uuid is the primary key (typed per entity by MikroORM)
    .filter((row): row is T => !!row && wrap(row).isInitialized());
  const missing = ids.filter((id) => !known.some((row) => row.id === id));
  const loaded = missing.length ? await ctx.em.find(entity, { id: { $in: missing } } as any) : [];
  return byKey(ids, [...known, ...(loaded as T[])], (row) => row.id);
}
