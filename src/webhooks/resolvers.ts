import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import { Connection, paginate } from '../graphql/connection';
import { toGlobalId } from '../graphql/global-id';
import { mutationPayload } from '../graphql/user-errors';
import { WebhookDelivery, WebhookEndpoint } from './entities';
import {
  WEBHOOK_DELIVERY_SORT, WEBHOOK_ENDPOINT_SORT, WebhookDeliveriesArgs, WebhookEndpointCreateInput, WebhookEndpointCreatePayload,
  WebhookEndpointDeleteInput, WebhookEndpointDeletePayload, WebhookEndpointsArgs, WebhookEndpointUpdateInput, WebhookEndpointUpdatePayload,
} from './graphql';
import { WEBHOOK_PERMISSIONS } from './permissions';
import { createEndpoint, deleteEndpoint, updateEndpoint, webhookTopics } from './service';

const WebhookEndpointConnection = Connection(WebhookEndpoint);
const WebhookDeliveryConnection = Connection(WebhookDelivery);

@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  @Authorized(WEBHOOK_PERMISSIONS.read)
  @Query(() => WebhookEndpointConnection, { description: "The workspace's webhook endpoints, newest first unless sorted otherwise" })
  webhookEndpoints(@Args() args: WebhookEndpointsArgs, @Ctx() ctx: RequestContext) {
    return paginate(ctx.em, WebhookEndpoint, {}, args, WEBHOOK_ENDPOINT_SORT.sortKey(args.sort));
  }

  @Authorized(WEBHOOK_PERMISSIONS.read)
  @Query(() => [String], { description: 'The event topics an endpoint may subscribe to' })
  webhookTopics(@Ctx() ctx: RequestContext): string[] {
    return webhookTopics(ctx);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: 'What was sent to it (or waits to be), newest first unless sorted otherwise' })
  deliveries(@Root() endpoint: WebhookEndpoint, @Args() args: WebhookDeliveriesArgs, @Ctx() ctx: RequestContext) {
    const where = { endpoint: endpoint.id, ...(args.status ? { status: args.status } : {}) };
    return paginate(ctx.em, WebhookDelivery, where, args, WEBHOOK_DELIVERY_SORT.sortKey(args.sort));
  }

  @Authorized(WEBHOOK_PERMISSIONS.write)
  @Mutation(() => WebhookEndpointCreatePayload, { description: 'Register an endpoint for some event topics; the payload shows its signing secret once' })
  webhookEndpointCreate(@Arg('input', { description: 'The endpoint' }) input: WebhookEndpointCreateInput, @Ctx() ctx: RequestContext) {
    return mutationPayload(WebhookEndpointCreatePayload, () => createEndpoint(ctx, input));
  }

  @Authorized(WEBHOOK_PERMISSIONS.write)
  @Mutation(() => WebhookEndpointUpdatePayload, { description: 'Change an endpoint, or switch it off or on again' })
  webhookEndpointUpdate(@Arg('input', { description: 'The changes' }) input: WebhookEndpointUpdateInput, @Ctx() ctx: RequestContext) {
    return mutationPayload(WebhookEndpointUpdatePayload, async () => ({ endpoint: await updateEndpoint(ctx, input) }));
  }

  @Authorized(WEBHOOK_PERMISSIONS.write)
  @Mutation(() => WebhookEndpointDeletePayload, { description: 'Remove an endpoint and its deliveries' })
  webhookEndpointDelete(@Arg('input', { description: 'The endpoint' }) input: WebhookEndpointDeleteInput, @Ctx() ctx: RequestContext) {
    return mutationPayload(WebhookEndpointDeletePayload, async () => ({ deletedId: await deleteEndpoint(ctx, input.id) }));
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => ID, { description: 'The global id of the record the event is about (as in the payload)' })
  subjectId(@Root() delivery: WebhookDelivery, @Ctx() ctx: RequestContext): string {
    return toGlobalId(ctx.app.registry.eventType(delivery.topic)?.subjectType ?? 'Unknown', delivery.subjectId);
  }
}
