import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { QueryResult } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { useAgent } from 'request-filtering-agent';
import type { AppServices } from '../context';
import { toGlobalId } from '../graphql/global-id';
import type { DomainEvent } from '../kernel/events';
import { CoalescingRunner } from '../kernel/coalescing-runner';
import { LogConsumer } from '../kernel/log-consumer';
import { WEBHOOK_ENDPOINT_CHANGED } from './events';

/** Deliveries one instance sends at once. */
const SEND_BATCH = 20;
/** How long an instance holds a delivery it is sending; past it, another may send it (the first one died). */
const LEASE_MS = 60_000;
/** An endpoint gets this long to answer. */
const TIMEOUT_MS = 10_000;
/**
 * The sender's timer ticks at least this often (more often with a smaller EVENT_POLL_MS or WEBHOOK_RETRY_BASE_MS):
 * while no endpoint is enabled, each tick moves the consumer past the log (see runPass), so an endpoint enabled
 * later starts with the events committed after it, and at most those of the last second before.
 */
const LOOK_EVERY_MS = 1000;
/**
 * Passes of one instance start at least this far apart. Every event wakes the sender of every instance, and each pass
 * costs a transaction and the consumer's lock (which all but one instance find taken): under load, a pass per event
 * and instance was most of the statements of the desk's background work; this adds at most this much to a delivery.
 */
const PASS_SPACING_MS = 100;
/** Retries wait twice as long each time, from WEBHOOK_RETRY_BASE_MS up to this. */
const MAX_RETRY_DELAY_MS = 3600_000;

/** What a partner receives: ids and the topic; it reads the details through the API, with its own rights. */
export interface WebhookPayload {
  /** The event's position: unique per event, the same on every retry (also the X-Webhook-Id header). */
  id: string;
  topic: string;
  occurredAt: string;
  workspaceId: string;
  /** The record the event is about: its GraphQL type and global id, for `node(id)`. */
  subject: { type: string; id: string };
  /** Further uuids the event names (see the topic's documentation). */
  refs: Record<string, string | undefined>;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>`, as Stripe signs: the partner
 * recomputes it over the raw body and refuses a signature that differs or a timestamp older than a few minutes.
 */
export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

interface DueDelivery {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  event_position: string;
  topic: string;
  subject_id: string;
  attempts: number;
  created_at: Date;
  url: string;
  secret: string;
  failing_since: Date | null;
  refs: Record<string, string> | null;
  occurred_at: Date | null;
}

/**
 * The webhook machinery of one instance (instances with JOB_WORKERS): a durable consumer of the event log that
 * turns each event into a delivery per endpoint subscribed to its topic (exactly once, whichever instance runs
 * it), and a sender that POSTs due deliveries, oldest first, one at a time per endpoint and subject, so that one
 * subject's events arrive in order. Failed deliveries are retried with exponential backoff for
 * WEBHOOK_RETRY_WINDOW_SECONDS (a day); an endpoint failing that long is disabled, with the reason.
 * Runs on every worker instance; rows are claimed with SKIP LOCKED and a lease, so instances share the work.
 */
export class WebhookSender {
  private readonly consumer: LogConsumer;
  private timer?: NodeJS.Timeout;
  private stopListening?: () => void;
  private readonly passes = new CoalescingRunner(() => this.runPass(), PASS_SPACING_MS);
  private stopped = false;
  /** Whether the next pass looks whether any endpoint is enabled: at start, on the timer, and when one changed. */
  private lookAgain = true;
  /** The last look found no enabled endpoint: until the next one, passes have nothing to dispatch or send. */
  private noEndpoints = false;
  /**
   * Whether the next pass claims due deliveries: on the timer (retries, and deliveries another instance created but
   * did not send), and after this instance created some. A pass woken by events that became no delivery here claims
   * nothing: the instance that dispatched them sends them.
   */
  private claimDue = true;

  constructor(private readonly app: AppServices) {
    this.consumer = new LogConsumer(
      app.orm, 'webhooks', (em, events) => this.createDeliveries(em, events), 'not exists (select 1 from webhook_endpoint where enabled)',
    );
  }

  async start(): Promise<void> {
    await this.consumer.register();
    this.stopListening = this.app.events.listen((event) => {
      if (event.topic === WEBHOOK_ENDPOINT_CHANGED.topic) this.lookAgain = true;
      this.wake();
    });
    this.timer = setInterval(() => {
      this.lookAgain = true;
      this.claimDue = true;
      this.wake();
    }, Math.min(this.app.config.eventPollMs, this.app.config.webhookRetryBaseMs, LOOK_EVERY_MS));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopListening?.();
    await this.passes.stop();
  }

  private wake(): void {
    this.passes.wake();
  }

  /**
   * Dispatches new events into deliveries, then sends what is due; a failure waits for the next wake-up. With no
   * endpoint enabled anywhere (the last look, one statement that also moves the consumer past the log: see
   * LogConsumer.skipIfIdle) a pass woken by an event does nothing: no transaction, no lock, no claim. The timer
   * looks again every second (LOOK_EVERY_MS), and so does the next pass after an endpoint changed
   * (WEBHOOK_ENDPOINT_CHANGED, heard by every instance), so deliveries to a new endpoint start at once; the consumer
   * never passes over an event committed after an endpoint was enabled.
   */
  private async runPass(): Promise<void> {
    try {
      if (this.lookAgain) {
        this.lookAgain = false; // a change heard while looking sets it again: the next pass looks again
        this.noEndpoints = await this.consumer.skipIfIdle();
      }
      if (this.noEndpoints || this.stopped) return;
      await this.consumer.consume();
      if (!this.claimDue) return;
      this.claimDue = false;
      while (!this.stopped && (await this.sendDue()) > 0);
    } catch (error) {
      this.app.logger.warn({ err: (error as Error).message }, 'webhook pass failed; trying again');
    }
  }

  /** One delivery per event and enabled endpoint of its workspace subscribed to its topic. */
  private async createDeliveries(em: EntityManager, events: DomainEvent[]): Promise<void> {
    const now = new Date().toISOString();
    const rows = events.map((e) => ({
      workspace_id: e.workspaceId, position: e.position, transaction_id: e.transactionId, topic: e.topic, subject_id: e.subjectId,
    }));
    const { affectedRows } = await em.getConnection().execute<QueryResult>(
      `insert into webhook_delivery (id, created_at, updated_at, workspace_id, endpoint_id, event_position, event_transaction_id, topic, subject_id, status, attempts, next_attempt_at)
       select gen_random_uuid(), ?::timestamptz, ?::timestamptz, e.workspace_id, w.id, e.position, e.transaction_id, e.topic, e.subject_id, 'PENDING', 0, ?::timestamptz
       from jsonb_to_recordset(?::jsonb) as e(workspace_id uuid, position bigint, transaction_id bigint, topic text, subject_id uuid)
       join webhook_endpoint w on w.workspace_id = e.workspace_id and w.enabled and e.topic = any(w.topics)
       on conflict do nothing`,
      [now, now, now, JSON.stringify(rows)], 'run', em.getTransactionContext(),
    );
    if (affectedRows) this.claimDue = true;
  }

  /** Claims due deliveries and sends them; returns how many it sent. */
  private async sendDue(): Promise<number> {
    const now = new Date();
    const connection = this.app.orm.em.getConnection();
    // Due, not held by another instance, of an enabled endpoint, and no earlier delivery of the same subject to
    // the same endpoint still pending: that one goes first (ordering per subject).
    const due: DueDelivery[] = await connection.execute(
      `with claimed as (
         update webhook_delivery d set lease_until = ?::timestamptz, attempts = d.attempts + 1
         from (
           select d2.id from webhook_delivery d2
           join webhook_endpoint w on w.workspace_id = d2.workspace_id and w.id = d2.endpoint_id and w.enabled
           where d2.status = 'PENDING' and d2.next_attempt_at <= ?::timestamptz and (d2.lease_until is null or d2.lease_until < ?::timestamptz)
             and not exists (
               select 1 from webhook_delivery earlier
               where earlier.workspace_id = d2.workspace_id and earlier.endpoint_id = d2.endpoint_id and earlier.subject_id = d2.subject_id
                 and earlier.status = 'PENDING'
                 and (earlier.event_transaction_id, earlier.event_position) < (d2.event_transaction_id, d2.event_position))
           order by d2.event_transaction_id, d2.event_position
           limit ?
           for update of d2 skip locked
         ) due
         where d.id = due.id
         returning d.*
       )
       select c.id, c.workspace_id, c.endpoint_id, c.event_position::text, c.topic, c.subject_id, c.attempts, c.created_at,
              w.url, w.secret, w.failing_since, e.refs, e.occurred_at
       from claimed c
       join webhook_endpoint w on w.workspace_id = c.workspace_id and w.id = c.endpoint_id
       left join domain_event e on e.workspace_id = c.workspace_id and e.position = c.event_position`,
      [new Date(now.getTime() + LEASE_MS), now, now, SEND_BATCH], 'all',
    );
    await Promise.all(due.map((delivery) => this.send(delivery).catch((error) => {
      // Recorded nowhere: the lease runs out and the delivery is tried again.
      this.app.logger.error({ err: (error as Error).message, deliveryId: delivery.id }, 'webhook delivery could not be recorded');
    })));
    return due.length;
  }

  private async send(delivery: DueDelivery): Promise<void> {
    const subjectType = this.app.registry.eventType(delivery.topic)?.subjectType ?? 'Unknown';
    const payload: WebhookPayload = {
      id: delivery.event_position,
      topic: delivery.topic,
      occurredAt: new Date(delivery.occurred_at ?? delivery.created_at).toISOString(),
      workspaceId: toGlobalId('Workspace', delivery.workspace_id),
      subject: { type: subjectType, id: toGlobalId(subjectType, delivery.subject_id) },
      refs: delivery.refs ?? {},
    };
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const outcome = await post(delivery.url, body, {
      'content-type': 'application/json',
      'user-agent': 'service-desk-webhooks/1',
      'x-webhook-id': delivery.event_position,
      'x-webhook-topic': delivery.topic,
      'x-webhook-signature': signature(delivery.secret, timestamp, body),
    }, this.app.config.webhookAllowLocal);
    await this.record(delivery, outcome);
  }

  private async record(delivery: DueDelivery, outcome: PostOutcome): Promise<void> {
    const connection = this.app.orm.em.getConnection();
    const now = new Date();
    if (outcome.ok) {
      await connection.execute(
        `update webhook_delivery set status = 'DELIVERED', delivered_at = ?, response_status = ?, last_error = null, next_attempt_at = null, lease_until = null, updated_at = ?
         where workspace_id = ? and id = ?`,
        [now, outcome.status, now, delivery.workspace_id, delivery.id], 'run',
      );
      await connection.execute(`update webhook_endpoint set failing_since = null where workspace_id = ? and id = ? and failing_since is not null`, [delivery.workspace_id, delivery.endpoint_id], 'run');
      return;
    }
    const windowMs = this.app.config.webhookRetryWindowSeconds * 1000;
    const givenUp = now.getTime() - new Date(delivery.created_at).getTime() >= windowMs;
    const delay = Math.min(this.app.config.webhookRetryBaseMs * 2 ** (delivery.attempts - 1), MAX_RETRY_DELAY_MS);
    await connection.execute(
      `update webhook_delivery set status = ?, response_status = ?, last_error = ?, next_attempt_at = ?, lease_until = null, updated_at = ?
       where workspace_id = ? and id = ?`,
      [givenUp ? 'FAILED' : 'PENDING', outcome.status, outcome.error, givenUp ? null : new Date(now.getTime() + delay), now, delivery.workspace_id, delivery.id], 'run',
    );
    // The endpoint has accepted nothing since this delivery was due: it fails since then, so that it is disabled at
    // the latest when its oldest failing delivery is given up.
    const failingSince = new Date(delivery.failing_since ?? delivery.created_at);
    if (!delivery.failing_since) {
      await connection.execute(`update webhook_endpoint set failing_since = ? where workspace_id = ? and id = ? and failing_since is null`, [failingSince, delivery.workspace_id, delivery.endpoint_id], 'run');
    }
    if (now.getTime() - failingSince.getTime() >= windowMs) await this.disable(delivery, failingSince, outcome.error);
  }

  /** Failing for the whole retry window: the endpoint is switched off and what waited for it is given up. */
  private async disable(delivery: DueDelivery, failingSince: Date, lastError: string | null): Promise<void> {
    const reason = `Every delivery failed since ${failingSince.toISOString()}; last error: ${lastError}`.slice(0, 1000);
    await this.app.orm.em.fork().transactional(async (em) => {
      const connection = em.getConnection();
      const tx = em.getTransactionContext();
      await connection.execute(`update webhook_endpoint set enabled = false, disabled_reason = ? where workspace_id = ? and id = ?`, [reason, delivery.workspace_id, delivery.endpoint_id], 'run', tx);
      await connection.execute(
        `update webhook_delivery set status = 'FAILED', next_attempt_at = null, last_error = coalesce(last_error, 'endpoint disabled') where workspace_id = ? and endpoint_id = ? and status = 'PENDING'`,
        [delivery.workspace_id, delivery.endpoint_id], 'run', tx,
      );
    });
    this.app.logger.warn({ endpointId: delivery.endpoint_id, workspaceId: delivery.workspace_id }, 'webhook endpoint disabled after failing for the retry window');
  }
}

interface PostOutcome {
  ok: boolean;
  status: number | null;
  /** Null when it succeeded. */
  error: string | null;
}

/**
 * POSTs with Node's http(s) and an agent that refuses private, loopback and reserved addresses at connect time
 * (request-filtering-agent: the address checked is the one connected to, so DNS rebinding does not get past it),
 * unless WEBHOOK_ALLOW_LOCAL. Redirects are not followed. The answer's body is not read beyond its status.
 */
function post(url: string, body: string, headers: Record<string, string>, allowLocal: boolean): Promise<PostOutcome> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const failed = (error: Error) => resolve({ ok: false, status: null, error: error.message.slice(0, 500) });
    const options: http.RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      timeout: TIMEOUT_MS,
    };
    let request: http.ClientRequest;
    try {
      // The agent refuses an address literal at once, by throwing, and a resolved name by an 'error' event.
      options.agent = useAgent(url, { allowPrivateIPAddress: allowLocal, keepAlive: false });
      request = (target.protocol === 'https:' ? https : http).request(target, options, (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        resolve({ ok, status, error: ok ? null : `HTTP ${status}` });
      });
    } catch (error) {
      return failed(error as Error);
    }
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    request.on('error', failed);
    request.end(body);
  });
}
