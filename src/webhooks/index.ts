import { defineModule } from '../kernel/module';
import { WebhookSender } from './delivery';
import { WebhookDelivery, WebhookEndpoint } from './entities';
import { WEBHOOK_ENDPOINT_CHANGED } from './events';
import { WEBHOOK_PERMISSIONS, webhookPermissions } from './permissions';
import { WebhookDeliveryResolver, WebhookEndpointResolver } from './resolvers';

/**
 * Partner webhooks: endpoints registered for event topics receive each event of their workspace as a signed POST
 * carrying ids, retried for a day, listed per endpoint. The first consumer of the event log outside the server.
 */
export const webhooksModule = defineModule({
  name: 'webhooks',
  entities: [WebhookEndpoint, WebhookDelivery],
  resolvers: [WebhookEndpointResolver, WebhookDeliveryResolver],
  permissions: webhookPermissions,
  nodeTypes: {
    WebhookEndpoint: { entity: WebhookEndpoint, permission: WEBHOOK_PERMISSIONS.read },
    WebhookDelivery: { entity: WebhookDelivery, permission: WEBHOOK_PERMISSIONS.read },
  },
  events: [WEBHOOK_ENDPOINT_CHANGED],
  background: (app) => new WebhookSender(app),
});

export { signature, type WebhookPayload } from './delivery';
