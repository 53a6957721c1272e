import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import { defineSort, SortDirection } from '../graphql/connection';
import { MutationPayload } from '../graphql/user-errors';
import { WebhookDeliveryStatus, WebhookEndpoint } from './entities';

@InputType({ description: 'A new webhook endpoint' })
export class WebhookEndpointCreateInput {
  @Field({ description: 'Where to POST events: https (a public address)' })
  @MaxLength(2000)
  url!: string;

  @Field(() => [String], { description: 'The topics to send, from webhookTopics' })
  @ArrayMaxSize(100)
  topics!: string[];
}

@InputType({ description: 'Changes to a webhook endpoint; absent fields stay' })
export class WebhookEndpointUpdateInput {
  @Field(() => ID, { description: 'The endpoint' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'A new URL' })
  @IsOptional()
  @MaxLength(2000)
  url?: string | null;

  @Field(() => [String], { nullable: true, description: 'New topics' })
  @IsOptional()
  @ArrayMaxSize(100)
  topics?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Switch it off, or on again (which forgets its failures)' })
  @IsOptional()
  enabled?: boolean | null;
}

@InputType({ description: 'The endpoint to remove' })
export class WebhookEndpointDeleteInput {
  @Field(() => ID, { description: 'The endpoint' })
  id!: string;
}

@ObjectType({ description: 'Result of webhookEndpointCreate' })
export class WebhookEndpointCreatePayload extends MutationPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: 'The new endpoint; null when userErrors is not empty' })
  endpoint?: WebhookEndpoint | null;

  @Field(() => String, {
    nullable: true,
    description: 'The signing secret, shown only now: verify X-Webhook-Signature (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">) with it',
  })
  secret?: string | null;
}

@ObjectType({ description: 'Result of webhookEndpointUpdate' })
export class WebhookEndpointUpdatePayload extends MutationPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: 'The endpoint as changed; null when userErrors is not empty' })
  endpoint?: WebhookEndpoint | null;
}

@ObjectType({ description: 'Result of webhookEndpointDelete' })
export class WebhookEndpointDeletePayload extends MutationPayload {
  @Field(() => ID, { nullable: true, description: 'The removed endpoint; null when userErrors is not empty' })
  deletedId?: string | null;
}

export const WEBHOOK_ENDPOINT_SORT = defineSort('WebhookEndpoint', {
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was registered' },
}, 'CREATED_AT');

export const WEBHOOK_DELIVERY_SORT = defineSort('WebhookDelivery', {
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When the event was queued for the endpoint' },
}, 'CREATED_AT');

@ArgsType()
export class WebhookEndpointsArgs extends WEBHOOK_ENDPOINT_SORT.Args {}

@ArgsType()
export class WebhookDeliveriesArgs extends WEBHOOK_DELIVERY_SORT.Args {
  @Field(() => WebhookDeliveryStatus, { nullable: true, description: 'Only deliveries in this state' })
  @IsOptional()
  status?: WebhookDeliveryStatus | null;
}
