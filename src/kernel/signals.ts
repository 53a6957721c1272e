import { Repeater, SlidingBuffer } from '@graphql-yoga/subscription';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm';
import { MatchIndex } from './match-index';
import { PgListener } from './pg-listener';

/*
 * Ephemeral signals: "agent 王芳 is typing in conversation c1", "the customer is looking at the order page". Unlike
 * domain events they are never stored: a signal is one PostgreSQL NOTIFY on its own channel, heard by every instance's
 * listening connection and handed to that instance's subscribers of the workspace, topic and key. So:
 *  - it reaches subscribers on every instance, the sender's own included, within milliseconds;
 *  - it is lost when nobody listens: a subscriber that connects later, or whose instance's listening connection is
 *    down at that moment, never gets it; there is no `after`, no replay, no order across senders;
 *  - it carries at most MAX_SIGNAL_BYTES (PostgreSQL refuses NOTIFY payloads from 8,000 bytes).
 * Use events for what happened (a message was added: stored, resumable, in order, seen by webhooks and reactions);
 * use signals for what is happening and stops mattering within seconds (typing, presence), sent again while it lasts.
 */

export const SIGNALS_CHANNEL = 'live_signals';
/** The `application_name` of each instance's signal LISTEN connection, to find it in pg_stat_activity. */
export const SIGNALS_LISTENER_NAME = 'service-desk signals';
/** A signal's JSON (topic, workspace, key and payload together) stays below PostgreSQL's NOTIFY limit of 8,000 bytes. */
export const MAX_SIGNAL_BYTES = 7900;
/** Signals a subscriber may have waiting; beyond that the oldest are dropped (they are stale by then anyway). */
const SUBSCRIBER_BUFFER = 100;

/** A kind of signal, declared once by its module: `defineSignal<{ userId: string; typing: boolean }>('conversations.typing')`. */
export interface SignalType<Payload extends object = object> {
  readonly topic: string;
  /** Only carries the payload's type; never set. */
  readonly payloadType?: Payload;
}

export function defineSignal<Payload extends object>(topic: string): SignalType<Payload> {
  if (!/^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)+$/.test(topic)) throw new Error(`signal topic "${topic}" is not <module>.<camelCaseName>`);
  return { topic };
}

/** A signal as subscribers receive it. */
export interface Signal<Payload extends object = object> {
  topic: string;
  workspaceId: string;
  /** What the signal is about, e.g. a conversation's id: subscribers follow one key (or all of a topic). */
  key: string;
  payload: Payload;
  /** When the sender published it (the sender's clock). */
  sentAt: Date;
}

interface Wire {
  t: string;
  w: string;
  k: string;
  p: object;
  s: number;
}

export interface SignalSubscribeOptions {
  workspaceId: string;
  topic: string;
  /** Only signals of this key; all of the topic when not given. */
  key?: string;
}

/** One instance's end of the signals channel: publishes with NOTIFY, hands what it hears to its subscribers. */
export class Signals {
  private readonly subscribers = new MatchIndex<(signal: Signal) => void>();
  private readonly listener: PgListener;

  constructor(private readonly orm: Orm, databaseUrl: string, private readonly logger: Logger) {
    this.listener = new PgListener(databaseUrl, SIGNALS_CHANNEL, SIGNALS_LISTENER_NAME, logger, {
      notification: (payload) => this.deliver(payload),
      connected: () => undefined,
      lost: (error) => this.logger.warn({ err: error?.message }, 'signal listener connection lost: signals sent until it is back are not delivered here'),
    });
  }

  /** Resolves once this instance listens. */
  start(): Promise<void> {
    return this.listener.start();
  }

  /**
   * Sends a signal to the workspace's subscribers of its topic and key on every instance, now (not with a
   * transaction: a signal is about the present, and is sent even if a transaction around it rolls back).
   */
  async publish<Payload extends object>(workspaceId: string, type: SignalType<Payload>, key: string, payload: Payload): Promise<void> {
    const wire: Wire = { t: type.topic, w: workspaceId, k: key, p: payload, s: Date.now() };
    const text = JSON.stringify(wire);
    if (Buffer.byteLength(text) > MAX_SIGNAL_BYTES) throw new Error(`signal ${type.topic} is larger than ${MAX_SIGNAL_BYTES} bytes: send ids, not bodies`);
    await this.orm.em.getConnection().execute(`select pg_notify(?, ?)`, [SIGNALS_CHANNEL, text], 'all');
  }

  private deliver(payload: string | undefined): void {
    let wire: Wire;
    try {
      wire = JSON.parse(payload ?? '');
    } catch {
      this.logger.warn({ payload: payload?.slice(0, 200) }, 'a notification on the signals channel that is no signal; ignored');
      return;
    }
    const signal: Signal = { topic: wire.t, workspaceId: wire.w, key: wire.k, payload: wire.p, sentAt: new Date(wire.s) };
    for (const subscriber of this.subscribers.matching(signal.workspaceId, signal.topic, (name) => (name === 'key' ? signal.key : undefined))) {
      subscriber(signal);
    }
  }

  /**
   * A workspace's signals of one topic (and key) as they are sent from now on, on any instance. A subscriber that
   * does not keep up loses the oldest of what waits for it, never the newest.
   */
  subscribe<Payload extends object>({ workspaceId, topic, key }: SignalSubscribeOptions): AsyncIterable<Signal<Payload>> {
    return new Repeater<Signal<Payload>>(async (push, stop) => {
      const unsubscribe = this.subscribers.add(workspaceId, [topic], { key }, (signal) => void push(signal as Signal<Payload>));
      await stop;
      unsubscribe();
    }, new SlidingBuffer(SUBSCRIBER_BUFFER));
  }

  /** Whether this instance's LISTEN connection is up (signals sent while it is down do not reach this instance). */
  get listening(): boolean {
    return this.listener.listening;
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
