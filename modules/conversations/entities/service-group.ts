import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { User } from '../../../src/auth';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';
import { AssignmentRule } from './enums';

/**
 * A service group 客服分组 (skill group): the agents who serve a kind of conversation, in an order, and the one rule
 * that picks which of them takes the next one. Its row is locked by every assignment in the group, which makes the
 * group's assignments one at a time (services/assignment.ts) and keeps the round-robin cursor exact.
 */
@ObjectType({ implements: Node, description: 'A service group 客服分组: agents in an order, and the rule that assigns them conversations' })
@Entity()
@Unique({ properties: ['workspace', 'name'] })
export class ServiceGroup extends WorkspaceScopedEntity<'returningCustomerFirst'> {
  @Field({ description: 'Its name, unique in the workspace' })
  @Property({ length: 100 })
  name!: string;

  @Field(() => AssignmentRule, { description: 'How the group picks the agent of a new conversation' })
  @Enum({ items: () => AssignmentRule, nativeEnumName: 'assignment_rule' })
  assignmentRule!: AssignmentRule;

  @Field({ description: '回头客优先: a returning customer goes to the agent who last served them, when online and not full' })
  @Property()
  returningCustomerFirst: boolean = false;

  /** ROUND_ROBIN: the online-since time and id of the agent who got the group's last conversation. */
  @Property({ type: 'timestamptz', nullable: true })
  roundRobinOnlineSince?: Date | null;

  @Property({ type: 'uuid', nullable: true })
  roundRobinAgentId?: string | null;
}

/** An agent's place in a group: the order is SEQUENTIAL's priority and the order members are listed in. */
@ObjectType({ description: 'An agent in a service group, at a position' })
@Entity()
@Unique({ properties: ['workspace', 'group', 'agent'] })
@Index({ properties: ['workspace', 'agent'] })
export class ServiceGroupMember extends WorkspaceScopedEntity {
  @ManyToOne(() => ServiceGroup, { deleteRule: 'cascade' })
  group!: ServiceGroup;

  @ManyToOne(() => User, { deleteRule: 'no action' })
  agent!: User;

  @Field(() => Int, { description: 'Position in the group, from 1' })
  @Property()
  position!: number;
}

@ObjectType({ description: 'What a routing rule matches; every given condition must hold, an empty one matches anything' })
export class RoutingConditions {
  /** Channel uuids. */
  channelIds?: string[];

  @Field(() => [String], { nullable: true, description: 'The visitor came from a search for one of these words (contained in the search keyword)' })
  sourceKeywords?: string[];

  @Field(() => String, { nullable: true, description: "The visitor's landing page contains this text" })
  landingPageContains?: string | null;

  @Field(() => String, { nullable: true, description: 'The page the conversation was started from contains this text' })
  originatingPageContains?: string | null;

  @Field(() => [String], { nullable: true, description: "The visitor's region is one of these (e.g. 浙江, 上海)" })
  regions?: string[];
}

/**
 * An advanced routing rule 高级分配: the first active rule (by position) whose conditions all match a new
 * conversation sends it to its target group, instead of the channel's default group.
 */
@ObjectType({ implements: Node, description: 'An advanced routing rule 高级分配: conversations matching its conditions go to its group' })
@Entity()
@Index({ properties: ['workspace', 'position'] })
export class RoutingRule extends WorkspaceScopedEntity<'active'> {
  @Field({ description: 'Its name' })
  @Property({ length: 100 })
  name!: string;

  @Field(() => Int, { description: 'Rules are tried in ascending position; the first match wins' })
  @Property()
  position!: number;

  @Field(() => RoutingConditions, { description: 'What it matches' })
  @Property({ type: 'json' })
  conditions!: RoutingConditions;

  @ManyToOne(() => ServiceGroup, { deleteRule: 'no action' })
  targetGroup!: ServiceGroup;

  @Field({ description: 'Inactive rules are skipped' })
  @Property()
  active: boolean = true;
}
