import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { WorkspaceScopedEntity } from '../db/base-entity';
import { Node } from '../graphql/node';
import { DateTimeScalar } from '../graphql/scalars';

/** A partner's HTTPS endpoint that receives the workspace's events of the chosen topics, signed with its secret. */
@ObjectType({ implements: Node, description: "A partner's endpoint receiving the workspace's events by HTTPS POST (webhooks)" })
@Entity()
export class WebhookEndpoint extends WorkspaceScopedEntity<'enabled'> {
  @Field({ description: 'Where events are POSTed: https, on a public address' })
  @Property({ length: 2000 })
  url!: string;

  @Field(() => [String], { description: 'The event topics sent here, e.g. customers.customerCreated (see webhookTopics)' })
  @Property({ type: 'text[]' })
  topics!: string[];

  /** Signs every delivery (HMAC-SHA256); shown once, when the endpoint is created. */
  @Property({ hidden: true, length: 100 })
  secret!: string;

  @Field({ description: 'False once it failed for a day (see disabledReason) or was switched off; re-enable with webhookEndpointUpdate' })
  @Property()
  enabled: boolean = true;

  @Field(() => String, { nullable: true, description: 'Why the server disabled it: since when it failed, and the last error' })
  @Property({ nullable: true, length: 1000 })
  disabledReason?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Since when every delivery has failed (null while it succeeds)' })
  @Property({ type: 'timestamptz', nullable: true })
  failingSince?: Date | null;
}

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a delivery stands',
  valuesConfig: {
    PENDING: { description: 'Not delivered yet: waiting for its turn or for its next retry' },
    DELIVERED: { description: 'The endpoint answered 2xx' },
    FAILED: { description: 'Given up: retried for a day without success, or the endpoint was disabled' },
  },
});

/** One event for one endpoint: sent, retried with backoff, and kept as a record of what the partner was told. */
@ObjectType({ implements: Node, description: 'One event sent (or to be sent) to one webhook endpoint' })
@Entity()
@Unique({ properties: ['workspace', 'endpoint', 'eventPosition'] })
@Index({ properties: ['endpoint', 'createdAt', 'id'] })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({ properties: ['workspace', 'endpoint', 'subjectId', 'status'] })
export class WebhookDelivery extends WorkspaceScopedEntity {
  @ManyToOne(() => WebhookEndpoint, { deleteRule: 'cascade' })
  endpoint!: WebhookEndpoint;

  @Field({ description: "The event's position in the event log; also sent as X-Webhook-Id, the partner's idempotency key" })
  @Property({ type: 'bigint' })
  eventPosition!: string;

  /** With eventPosition, the event's place in the log: deliveries of one subject go out in this order. */
  @Property({ type: 'bigint' })
  eventTransactionId!: string;

  @Field({ description: 'The event topic' })
  @Property({ length: 100 })
  topic!: string;

  @Property({ type: 'uuid' })
  subjectId!: string;

  @Field(() => WebhookDeliveryStatus, { description: 'Where the delivery stands' })
  @Enum({ items: () => WebhookDeliveryStatus, nativeEnumName: 'webhook_delivery_status' })
  status: WebhookDeliveryStatus = WebhookDeliveryStatus.PENDING;

  @Field(() => Int, { description: 'How often it was sent' })
  @Property()
  attempts: number = 0;

  @Field(() => Int, { nullable: true, description: "The endpoint's HTTP status on the last attempt (null: no answer)" })
  @Property({ type: 'int', nullable: true })
  responseStatus?: number | null;

  @Field(() => String, { nullable: true, description: 'What went wrong on the last attempt' })
  @Property({ nullable: true, length: 500 })
  lastError?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it is sent (again) next; null once delivered or failed' })
  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt?: Date | null;

  /** An instance sending it holds it until then; past it, another instance may send it again (the sender died). */
  @Property({ type: 'timestamptz', nullable: true })
  leaseUntil?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the endpoint accepted it' })
  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;
}
