import { Entity, Enum, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';
import { Customer } from './customer';
import { TagGroup, TagKind } from './enums';

/** A tag definition of the workspace; customers carry tags through CustomerTag. */
@ObjectType({ implements: Node, description: 'A customer tag 客户标签 defined by the workspace, building the portrait' })
@Entity()
@Unique({ properties: ['workspace', 'name'] })
export class Tag extends WorkspaceScopedEntity<'version'> {
  @Field({ description: 'Name, unique in the workspace, e.g. 高价值 or 母婴偏好' })
  @Property({ length: 50 })
  name!: string;

  @Field({ description: 'Display color, #RRGGBB' })
  @Property({ length: 7 })
  color!: string;

  @Field(() => TagGroup, { description: 'Portrait attribute group' })
  @Enum({ items: () => TagGroup, nativeEnumName: 'tag_group' })
  group!: TagGroup;

  @Field(() => TagKind, { description: 'Fact, model or manual tag' })
  @Enum({ items: () => TagKind, nativeEnumName: 'tag_kind' })
  kind!: TagKind;

  @Field(() => String, { nullable: true, description: 'What the tag means or how it is computed' })
  @Property({ length: 500, nullable: true })
  description?: string;

  @Field(() => Int, { description: 'Optimistic-lock version: send it back with tagUpdate' })
  @Property({ version: true })
  version!: number;
}

/** A customer carries a tag. */
@Entity()
@Unique({ properties: ['workspace', 'customer', 'tag'] })
export class CustomerTag extends WorkspaceScopedEntity {
  @ManyToOne(() => Customer, { deleteRule: 'cascade' })
  customer!: Customer;

  @ManyToOne(() => Tag, { deleteRule: 'cascade', index: true })
  tag!: Tag;
}
