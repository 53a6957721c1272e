import { Entity, Enum, Index, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { WorkspaceScopedEntity } from '../db/base-entity';
import { Node } from '../graphql/node';

export enum ActorKind {
  USER = 'USER',
  API_KEY = 'API_KEY',
  GUEST = 'GUEST',
  SYSTEM = 'SYSTEM',
}
registerEnumType(ActorKind, {
  name: 'ActorKind',
  description: 'Who made a change: a signed-in user, a partner API key, a guest (a chat visitor), or the server itself (jobs, demo data)',
  valuesConfig: {
    USER: { description: 'A user with a session' },
    API_KEY: { description: 'A partner system with an API key' },
    GUEST: { description: 'Someone outside the workspace with a guest token, such as a chat-widget visitor (see `guestId`)' },
    SYSTEM: { description: 'The server itself: jobs, demo data, sign-up' },
  },
});

/** Who did what to which record, when, through which credential. Written in the transaction of the change. */
@ObjectType({ implements: Node, description: 'One change in the workspace, for accountability (readable by OWNER and MANAGER)' })
@Entity()
@Index({ properties: ['workspace', 'createdAt', 'id'] })
@Index({ properties: ['workspace', 'subjectId'] })
export class AuditEntry extends WorkspaceScopedEntity {
  @Field({ description: 'What happened, `<module>.<record>.<verb>`, e.g. platform.apiKey.revoke' })
  @Property()
  action!: string;

  @Field({ description: 'GraphQL type of the changed record, e.g. ApiKey' })
  @Property()
  subjectType!: string;

  @Property({ type: 'uuid' })
  subjectId!: string;

  @Field(() => ActorKind, { description: 'Kind of principal that made the change' })
  @Enum({ items: () => ActorKind, nativeEnumName: 'actor_kind' })
  actorKind!: ActorKind;

  /** The user, or for an API key the user who created the key. No foreign key: the log outlives users. */
  @Property({ type: 'uuid', nullable: true })
  actorUserId?: string;

  @Property({ type: 'uuid', nullable: true })
  actorApiKeyId?: string;

  /** For a guest: the GraphQL type of the record its token names (e.g. Visitor). */
  @Property({ nullable: true })
  actorGuestType?: string;

  /** For a guest: the id of that record. */
  @Property({ type: 'uuid', nullable: true })
  actorGuestId?: string;

  /** Read through AuditResolver.changes, which asks for the read permission of the record's type. */
  @Property({ type: 'jsonb', nullable: true })
  changes?: Record<string, unknown>;

  @Field(() => ID, { nullable: true, description: 'Request id, to find the request in the server log' })
  @Property({ nullable: true })
  requestId?: string;
}
