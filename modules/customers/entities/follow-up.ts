import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';
import { Customer } from './customer';
import { FollowUpMethod } from './enums';
import { DateTimeScalar, LocalDateScalar } from '../../../src/graphql/scalars';

/** A follow-up record 跟进记录: who contacted the customer, when, how, what came of it, and when to call again. */
@ObjectType({ implements: Node, description: 'A follow-up record 跟进记录 of contact with an existing customer' })
@Entity()
@Index({ properties: ['customer', 'happenedAt'] })
@Index({ properties: ['workspace', 'pending', 'nextFollowUpOn'] })
export class FollowUp extends WorkspaceScopedEntity<'pending'> {
  @ManyToOne(() => Customer, { deleteRule: 'no action' })
  customer!: Customer;

  /** The user who made the contact (for an API key: the key's creator). No foreign key: records outlive users. */
  @Property({ type: 'uuid' })
  authorUserId!: string;

  @Field(() => FollowUpMethod, { description: 'How the contact was made' })
  @Enum({ items: () => FollowUpMethod, nativeEnumName: 'follow_up_method' })
  method!: FollowUpMethod;

  @Field({ description: 'What was discussed or done' })
  @Property({ type: 'text' })
  content!: string;

  @Field(() => String, { nullable: true, description: 'What came of it' })
  @Property({ type: 'text', nullable: true })
  outcome?: string;

  @Field(() => DateTimeScalar, { description: 'When the contact happened' })
  @Property({ type: 'timestamptz' })
  happenedAt!: Date;

  @Field(() => LocalDateScalar, { nullable: true, description: 'When to follow up next' })
  @Property({ type: 'date', nullable: true })
  nextFollowUpOn?: string;

  /** True while this is the customer's latest follow-up and it asks for a next one: the "due" list reads it. */
  @Field({ description: 'A next follow-up is planned and no later follow-up has been recorded yet' })
  @Property()
  pending: boolean = false;
}
