/**
 * Domain events: what happened, in which workspace, to which record. A module declares its events once, in its
 * `events.ts`, with the refs they carry:
 *
 *   export const CUSTOMER_MERGED = defineEvent<{ mergedId: string }>('customers.customerMerged', { subjectType: 'Customer' });
 *
 * and emits them inside a write transaction with `tx.emit(CUSTOMER_MERGED, keep.id, { mergedId })`; the refs are
 * type-checked there, in reactions (`onEvent`) and in subscriptions. Events carry ids only: a reader re-reads the
 * rows it needs, with its own rights, so an event never leaks a body to a reader that should not see it.
 */
export interface EventType<Refs extends EventRefs = EventRefs> {
  readonly topic: string;
  /**
   * The GraphQL type of the subject, for events partners may receive by webhook (the payload names the subject by
   * its global id); events without one are internal to the server.
   */
  readonly subjectType?: string;
  /** Only carries the refs' type; never set. */
  readonly refsType?: Refs;
}

/** Further ids of an event, small and flat (an optional one may be absent). */
export type EventRefs = Record<string, string | undefined>;

export function defineEvent<Refs extends EventRefs = Record<never, string>>(topic: string, options: { subjectType?: string } = {}): EventType<Refs> {
  if (!/^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)+$/.test(topic)) throw new Error(`event topic "${topic}" is not <module>.<camelCaseName>`);
  return { topic, subjectType: options.subjectType };
}

/** The refs argument of `emit`: required when the event declares refs, absent when it declares none. */
export type RefsArgument<Refs extends EventRefs> = keyof Refs extends never ? [] : [refs: Refs];

/** An event as it was written to the log, in the transaction that made the change. */
export interface DomainEvent<Refs extends EventRefs = EventRefs> {
  /**
   * Its place in the log, unique and increasing within a transaction; the idempotency key of reactions and webhook
   * deliveries, and what a subscriber passes as `after` to resume. A decimal string (a bigint).
   */
  position: string;
  /** The id (xid8) of the transaction that wrote it; the log is ordered by it, then by position. */
  transactionId: string;
  topic: string;
  workspaceId: string;
  /** The id (uuid) of the record the event is about. */
  subjectId: string;
  refs: Refs;
  actorKind: 'USER' | 'API_KEY' | 'GUEST' | 'SYSTEM';
  /** The user (for an API key: its creator), the guest's record (GUEST), or null (SYSTEM). */
  actorId: string | null;
  occurredAt: Date;
}

/** An event not yet written: what `tx.emit` collects until the transaction commits. */
export type PendingEvent = Omit<DomainEvent, 'position' | 'transactionId' | 'occurredAt'>;

/** The refs, JSON-encoded, stay small: events carry ids, not bodies. */
export const MAX_REFS_BYTES = 2000;

/** Whether an event is of a given type, narrowing its refs. */
export function isEvent<Refs extends EventRefs>(event: DomainEvent, type: EventType<Refs>): event is DomainEvent<Refs> {
  return event.topic === type.topic;
}
