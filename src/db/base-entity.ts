import { randomUUID } from 'node:crypto';
import { ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { toGlobalId } from '../graphql/global-id';
import { DateTimeScalar } from '../graphql/scalars';

/**
 * uuid id, timestamps, and the global id every GraphQL node exposes as `id`.
 *
 * `Optional` names the properties a subclass fills itself (defaults, versions): with the ones here, they are the
 * entity's `[OptionalProps]`, which `em.create` does not ask for, so creating an entity is type-checked without casts.
 */
// Decorated so that subclasses inherit the fields; never emitted itself, as no field returns it.
@ObjectType()
export abstract class BaseEntity<Optional extends string = never> {
  [OptionalProps]?: 'id' | 'createdAt' | 'updatedAt' | 'typeName' | 'globalId' | Optional;

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => DateTimeScalar, { description: 'When the record was created' })
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar, { description: 'When the record last changed' })
  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  /** The GraphQL type name; a node's global id is built from it. Defaults to the class name. */
  get typeName(): string {
    return this.constructor.name;
  }

  @Field(() => ID, { name: 'id', description: 'Global id: opaque, names its type, stable' })
  get globalId(): string {
    return toGlobalId(this.typeName, this.id);
  }
}

/**
 * A row that belongs to one workspace. The ORM's `workspace` filter (src/db/tenancy.ts) adds the caller's
 * workspace to every query on these entities, and a flush hook stamps it on new rows: resolvers never filter
 * by workspace themselves.
 *
 * `(workspace_id, id)` is unique so that foreign keys between workspace tables can include the workspace
 * (src/db/workspace-keys.ts): a row cannot point at another workspace's record. It also serves lookups by
 * workspace alone. The ORM's identity stays the uuid `id` (README, Production notes).
 */
@ObjectType()
@Unique({ properties: ['workspace', 'id'] })
// `workspace` is optional to em.create: WorkspaceStamp fills in the caller's.
export abstract class WorkspaceScopedEntity<Optional extends string = never> extends BaseEntity<'workspace' | Optional> {
  // Typed by its id only: src/db stands below identity (src/auth), which owns the Workspace entity; an entity that
  // reads more of its workspace declares the field with identity's type (`declare workspace: Workspace`).
  @ManyToOne({ entity: 'Workspace', deleteRule: 'cascade' })
  workspace!: { id: string };
}
