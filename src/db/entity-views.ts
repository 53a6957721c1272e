import type { EntityData, EntityManager, EntityMetadata, MetadataStorage } from '@mikro-orm/postgresql';

/*
 * Objects of entity classes made from rows or values a request already has, without MikroORM's entity creation where
 * it is not needed: the hot read paths (the workbench read, `me`) spent most of their ORM time creating entities.
 */

/**
 * A row read with workspaceSql (src/db/workspace-sql.ts; column names as keys; a `jsonb` row from `to_jsonb` too)
 * as an entity of the EntityManager, made the way em.find makes one of each row it reads: hydrated by the ORM's compiled hydrator and
 * kept in the identity map (an entity already there is updated and returned), so later lookups of the request find
 * it without a statement (`findByIds`, `customerById`). About 25 µs an entity in process. An entity already there
 * keeps what MikroORM's merge keeps: its own unflushed changes, and its value wherever the row has null. With
 * `refresh` it takes the row as it is, nulls included: for a row just written or locked, which is the truth (a
 * conversation's assignee set to null by the statement that closed it).
 */
export function entityOfRow<T extends object>(em: EntityManager, entity: new (...args: any[]) => T, row: Record<string, unknown>, options: { refresh?: boolean } = {}): T {
  const data = em.getDriver().mapResult(row as EntityData<T>, em.getMetadata().get<T>(entity.name));
  return em.getEntityFactory().create<T>(entity, data!, { merge: true, convertCustomTypes: true, refresh: options.refresh });
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
 * An instance of the entity's class holding `values` as plain properties, not managed (as viewOfRow's): for an
 * entity the request knows without reading it (the principal's user). No constructor runs (its defaults would be
 * overwritten) and none of MikroORM's per-instance accessors are made: 0.3 µs for a User, against 7.5 µs for
 * `Object.assign(new User(), values)` (in process).
 */
export function viewOf<T extends object>(metadata: MetadataStorage, entity: new (...args: any[]) => T, values: Partial<T>): T {
  return Object.assign(Object.create(viewPrototype(metadata.get<T>(entity.name))) as T, values);
}
