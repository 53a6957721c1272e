import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }>;
  extensions?: Record<string, any>;
}

/** POSTs one GraphQL operation the way a browser or partner would. */
export async function gql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** The first error code of a response, or undefined. */
export const errorCode = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code as string | undefined;

/** Fails with the response's errors when there are any, else returns data. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  return response.data as T;
}

export interface Subscription<T> {
  /** The next event, or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<{ data?: T; errors?: any[] }>;
  /**
   * The first event `matches` accepts (or an error without data), skipping others. A live subscription may begin with events that
   * committed just before it started (the instance's log reader had not reached them yet): a test waits for its own.
   */
  until(matches: (event: { data?: T; errors?: any[] }) => boolean, timeoutMs?: number): Promise<{ data?: T; errors?: any[] }>;
  close(): Promise<void>;
}

/** Opens a graphql-ws connection with `connectionParams.authorization` and starts one subscription. */
export function subscribe<T = any>(wsUrl: string, query: string, token?: string, variables: Record<string, unknown> = {}): Subscription<T> & { client: Client; closed: Promise<{ code: number; reason: string }> } {
  let resolveClosed!: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined, // tests read the close code from `closed`
    on: { closed: (event: any) => resolveClosed({ code: event?.code, reason: event?.reason }) },
  });
  const queue: Array<{ data?: T; errors?: any[] }> = [];
  const waiters: Array<(value: { data?: T; errors?: any[] }) => void> = [];
  const push = (value: { data?: T; errors?: any[] }) => {
    const waiter = waiters.shift();
    if (waiter) waiter(value);
    else queue.push(value);
  };
  client.subscribe<T>({ query, variables }, {
    next: (value) => push(value as { data?: T; errors?: any[] }),
    error: (error) => push({ errors: Array.isArray(error) ? error : [{ message: String((error as any)?.reason ?? error) }] }),
    complete: () => undefined,
  });
  return {
    client,
    closed,
    next(timeoutMs = 5000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const waiter = (value: { data?: T; errors?: any[] }) => {
          clearTimeout(timer);
          resolve(value);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1); // a later event is kept for the next call
          reject(new Error(`no subscription event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async until(matches, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const event = await this.next(Math.max(1, deadline - Date.now()));
        if (!event.data || matches(event)) return event; // an error without data ends the wait too
      }
    },
    async close() {
      await client.dispose();
    },
  };
}
