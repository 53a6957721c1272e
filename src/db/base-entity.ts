import { randomUUID } from 'node:crypto';
import { ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { toGlobalId } from '../graphql/global-id';
import { DateTimeScalar } from '../graphql/scalars';

/** uuid id, timestamps, and the global id every GraphQL node exposes as `id`. */
// Decorated so that subclasses inherit the fields; never emitted itself, as no field returns it.
@ObjectType()
export abstract class BaseEntity {
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
 */
@ObjectType()
export abstract class WorkspaceScopedEntity extends BaseEntity {
  // Typed by its id only: src/db stands below identity (src/auth), which owns the Workspace entity; an entity that
  // reads more of its workspace declares the field with identity's type (`declare workspace: Workspace`).
  @ManyToOne({ entity: 'Workspace', deleteRule: 'cascade', index: true })
  workspace!: { id: string };
}
