import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../context';
import { tryFromGlobalId } from '../graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput } from '../graphql/user-errors';
import { WebhookEndpoint } from './entities';
import { WEBHOOK_ENDPOINT_CHANGED } from './events';
import type { WebhookEndpointCreateInput, WebhookEndpointUpdateInput } from './graphql';

/** Endpoints one workspace may register: each costs a POST per event. */
export const MAX_ENDPOINTS = 20;

/** The topics partners may receive: events whose subject has a GraphQL type (see defineEvent). */
export function webhookTopics(ctx: RequestContext): string[] {
  return ctx.app.registry.eventTypes.filter((e) => e.subjectType).map((e) => e.topic);
}

/**
 * A partner's URL: https (http only with WEBHOOK_ALLOW_LOCAL), no credentials in it. Private and loopback
 * addresses are refused when sending (src/webhooks/delivery.ts), where the address actually connected to is known.
 */
function urlProblems(ctx: RequestContext, url: string): UserError[] {
  const field = ['input', 'url'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [UserError.of(field, 'Not a URL', UserErrorCode.INVALID)];
  }
  const allowed = ctx.app.config.webhookAllowLocal ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(parsed.protocol)) return [UserError.of(field, 'The URL must be https', UserErrorCode.INVALID)];
  if (parsed.username || parsed.password) return [UserError.of(field, 'Put no credentials in the URL: verify the signature instead', UserErrorCode.INVALID)];
  return [];
}

function topicProblems(ctx: RequestContext, topics: string[]): UserError[] {
  const known = new Set(webhookTopics(ctx));
  const problems = topics.flatMap((topic, index) =>
    known.has(topic) ? [] : [UserError.of(['input', 'topics', String(index)], `Unknown topic ${topic}; see webhookTopics`, UserErrorCode.INVALID)]);
  if (!topics.length) problems.push(UserError.of(['input', 'topics'], 'Choose at least one topic', UserErrorCode.REQUIRED));
  return problems;
}

function endpointOf(ctx: RequestContext, globalId: string): Promise<WebhookEndpoint | null> {
  const id = tryFromGlobalId(globalId, 'WebhookEndpoint');
  return id ? ctx.em.findOne(WebhookEndpoint, id) : Promise.resolve(null);
}

/** Registers an endpoint; its signing secret is returned now and never again. */
export async function createEndpoint(ctx: RequestContext, input: WebhookEndpointCreateInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await validateInput(input);
  const problems = [...urlProblems(ctx, input.url), ...topicProblems(ctx, input.topics)];
  if (problems.length) throw new UserInputFailure(problems);
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  return ctx.transaction(async (tx) => {
    if ((await tx.em.count(WebhookEndpoint, {})) >= MAX_ENDPOINTS) {
      throw UserInputFailure.of(['input'], `A workspace has at most ${MAX_ENDPOINTS} webhook endpoints`, UserErrorCode.LIMIT_EXCEEDED);
    }
    const endpoint = tx.em.create(WebhookEndpoint, { url: input.url, topics: [...new Set(input.topics)], secret });
    tx.audit({ action: 'webhooks.endpoint.create', subjectType: 'WebhookEndpoint', subjectId: endpoint.id, changes: { url: endpoint.url, topics: endpoint.topics } });
    tx.emit(WEBHOOK_ENDPOINT_CHANGED, endpoint.id);
    return { endpoint, secret };
  });
}

/** Changes the URL or topics, or switches the endpoint off or on (on again: failures are forgotten). */
export async function updateEndpoint(ctx: RequestContext, input: WebhookEndpointUpdateInput): Promise<WebhookEndpoint> {
  await validateInput(input);
  const problems = [...(input.url != null ? urlProblems(ctx, input.url) : []), ...(input.topics != null ? topicProblems(ctx, input.topics) : [])];
  if (problems.length) throw new UserInputFailure(problems);
  return ctx.transaction(async (tx) => {
    const endpoint = await endpointOf(tx.context(), input.id);
    if (!endpoint) throw UserInputFailure.of(['input', 'id'], 'No such webhook endpoint', UserErrorCode.NOT_FOUND);
    const changes: Record<string, unknown> = {};
    if (input.url != null) changes.url = input.url;
    if (input.topics != null) changes.topics = [...new Set(input.topics)];
    if (input.enabled != null) {
      changes.enabled = input.enabled;
      if (input.enabled) Object.assign(changes, { disabledReason: null, failingSince: null });
    }
    tx.em.assign(endpoint, changes);
    tx.audit({ action: 'webhooks.endpoint.update', subjectType: 'WebhookEndpoint', subjectId: endpoint.id, changes });
    tx.emit(WEBHOOK_ENDPOINT_CHANGED, endpoint.id);
    return endpoint;
  });
}

/** Removes an endpoint with its deliveries. */
export async function deleteEndpoint(ctx: RequestContext, globalId: string): Promise<string> {
  return ctx.transaction(async (tx) => {
    const endpoint = await endpointOf(tx.context(), globalId);
    if (!endpoint) throw UserInputFailure.of(['input', 'id'], 'No such webhook endpoint', UserErrorCode.NOT_FOUND);
    tx.audit({ action: 'webhooks.endpoint.delete', subjectType: 'WebhookEndpoint', subjectId: endpoint.id, changes: { url: endpoint.url } });
    tx.emit(WEBHOOK_ENDPOINT_CHANGED, endpoint.id);
    tx.em.remove(endpoint);
    return globalId;
  });
}
