import { defineEvent } from '../kernel/events';

/**
 * An endpoint was created, changed (its topics, or switched on or off) or deleted. Internal (no webhook): it tells
 * every instance's dispatcher to look at the endpoints again, so that one that found none enabled notices at once.
 */
export const WEBHOOK_ENDPOINT_CHANGED = defineEvent('webhooks.endpointChanged');
