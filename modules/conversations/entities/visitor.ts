import { Entity, Index, ManyToOne, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { WorkspaceScopedEntity } from '../../../src/db/base-entity';
import { Node } from '../../../src/graphql/node';
import { DateTimeScalar } from '../../../src/graphql/scalars';
import { Customer } from '../../customers';
import { Channel } from './channel';

@ObjectType({ description: 'Where a visitor came from and what they use, as the widget or connector reported it' })
export class VisitorContext {
  @Field(() => String, { nullable: true, description: 'The search words that brought the visitor (e.g. 连衣裙 夏)' })
  sourceKeyword?: string | null;

  @Field(() => String, { nullable: true, description: 'The first page of the visit' })
  landingPage?: string | null;

  @Field(() => String, { nullable: true, description: 'The referring page or site' })
  referrer?: string | null;

  @Field(() => String, { nullable: true, description: 'The page the conversation was started from' })
  originatingPage?: string | null;

  @Field(() => String, { nullable: true, description: 'Region (province or city), e.g. 浙江' })
  region?: string | null;

  @Field(() => String, { nullable: true, description: 'Device, e.g. iPhone / Android / PC' })
  device?: string | null;
}

/**
 * Someone on a channel: a browsing widget visitor, or the sender behind a connector's conversation. Identified as a
 * customer (customers module) once they start a conversation or give who they are; holds a guest token
 * (src/auth guest tokens) that lets them, and only them, write to and follow their own conversations.
 */
@ObjectType({ implements: Node, description: 'A visitor of a channel, browsing or in conversation' })
@Entity()
@Index({ properties: ['workspace', 'channel', 'lastSeenAt'] })
@Index({ properties: ['workspace', 'customer'] })
export class Visitor extends WorkspaceScopedEntity<'context'> {
  @ManyToOne(() => Channel, { deleteRule: 'no action' })
  channel!: Channel;

  @ManyToOne(() => Customer, { nullable: true, deleteRule: 'no action' })
  customer?: Customer | null;

  /** The connector's or widget's own id of the visitor, when it has one. */
  @Property({ length: 100, nullable: true })
  externalId?: string | null;

  @Field(() => VisitorContext, { description: 'Where the visitor came from, as first reported' })
  @Property({ type: 'json' })
  context: VisitorContext = {};

  @Field(() => DateTimeScalar, { description: 'When the visitor was last seen (a page view, a message)' })
  @Property({ type: 'timestamptz' })
  lastSeenAt!: Date;
}

/** One page of a visitor's browsing trail 浏览轨迹. */
@ObjectType({ description: 'A page the visitor viewed' })
@Entity()
@Index({ properties: ['workspace', 'visitor', 'viewedAt'] })
@Index({ properties: ['workspace', 'viewedAt'] }) // visitorCounts: a workspace's page views of a period
export class PageView extends WorkspaceScopedEntity {
  @ManyToOne(() => Visitor, { deleteRule: 'cascade' })
  visitor!: Visitor;

  @Field({ description: 'The page' })
  @Property({ type: 'text' })
  url!: string;

  @Field(() => String, { nullable: true, description: 'Its title' })
  @Property({ length: 300, nullable: true })
  title?: string | null;

  @Field(() => DateTimeScalar, { description: 'When it was viewed' })
  @Property({ type: 'timestamptz' })
  viewedAt!: Date;
}
