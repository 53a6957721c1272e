import { Entity, Enum, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { User } from '../../../src/auth';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { DateTimeScalar } from '../../../src/graphql/scalars';
import { AgentStatus } from './enums';

/**
 * An agent's place at the service desk: status, capacity and the counters the assignment rules read. The counters
 * are written only in the transaction that assigns, closes or transfers, under this row's lock
 * (services/assignment.ts), so they are always the truth: activeCount equals the agent's ACTIVE conversations.
 * One row per user, made when the user first sets a status or is given a capacity.
 */
@ObjectType({ description: "An agent's status, capacity and load" })
@Entity()
@Unique({ properties: ['workspace', 'agent'] })
export class AgentState extends WorkspaceScopedEntity<'status' | 'capacity' | 'activeCount' | 'handledToday'> {
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  agent!: User;

  @Field(() => AgentStatus, { description: 'Whether the agent takes new conversations' })
  @Enum({ items: () => AgentStatus, nativeEnumName: 'agent_status' })
  status: AgentStatus = AgentStatus.OFFLINE;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the agent last came ONLINE (ROUND_ROBIN orders agents by it); null while not online' })
  @Property({ type: 'timestamptz', nullable: true })
  onlineSince?: Date | null;

  @Field(() => Int, { description: 'How many conversations the agent may serve at once' })
  @Property()
  capacity: number = 5;

  @Field(() => Int, { description: 'Conversations the agent is serving now (ACTIVE)' })
  @Property()
  activeCount: number = 0;

  /** Counts for `handledOn` only; a different day reads as 0 (services/agents.ts). */
  @Property()
  handledToday: number = 0;

  @Property({ type: 'date', nullable: true })
  handledOn?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the agent was last given a conversation (ties between candidates go to the longest since)' })
  @Property({ type: 'timestamptz', nullable: true })
  lastAssignedAt?: Date | null;
}
