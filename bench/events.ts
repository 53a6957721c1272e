import os from 'node:os';
import { createInterface } from 'node:readline';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { AUDIT_ENTRY_ADDED } from '../src/audit/events';
import { commitTimestampCluster, graphql, heldBackTransactions, load, machine, processCpuMs, startProcess, summary } from './support';

/**
 * `npm run bench:events`: the durable event log across two server instances. Instance A takes the writes (customerCreate:
 * one customer, its audit entry, two domain events), instance B serves SUBSCRIBERS `auditEntryAdded` subscriptions over
 * graphql-ws; each instance is its own process (dist/src/main.js, NODE_ENV=production) on one embedded PostgreSQL
 * 17 with its durable defaults (fsync on). Three phases, one subscription set throughout:
 *  1. throughput: WRITERS clients send customerCreate to A back to back for THROUGHPUT_S seconds; events committed
 *     per second (rows of domain_event) and delivered per second (messages received by all subscribers on B);
 *  2. latency: customerCreate at a fixed RATE per second for LATENCY_S seconds; from commit to a subscriber on B. The
 *     default rate is well below what B delivers to SUBSCRIBERS (phase 1 measures it), so the figure is the path's
 *     latency, not a queue's;
 *  3. the same with NOTIFY off (the table's NOTIFY trigger disabled in the database for the phase), so B hears of
 *     events only from its timer (EVENT_POLL_MS): the fallback when the listening connection is down.
 * Commit time is PostgreSQL's own commit timestamp of the event's transaction (track_commit_timestamp = on, read with
 * pg_xact_commit_timestamp); the arrival of the mutation's HTTP response on the client is shown beside it. The same
 * machine's clock stamps both ends. At the end every subscriber's sequence of positions is compared with the log
 * (none lost, none twice, in the log's order). Prints the machine, the parameters and Markdown rows for RESULTS.md.
 */
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 20);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 8);
const THROUGHPUT_S = Number(process.env.BENCH_THROUGHPUT_S ?? 15);
const RATE = Number(process.env.BENCH_RATE ?? 5);
const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 20);
const POLL_RATE = Number(process.env.BENCH_POLL_RATE ?? 2);
const POLL_S = Number(process.env.BENCH_POLL_S ?? 10);
const EVENT_POLL_MS = 1000; // the server's default, stated here so the fallback phase can name it
/** Subscribers that receive nothing for this long have received all they will: what is missing is lost. */
const STALL_MS = 10_000;
/** 'false' runs both instances without job workers (no webhook log consumer, no pg-boss workers): to compare. */
const JOB_WORKERS = process.env.BENCH_JOB_WORKERS ?? 'true';

const AUDIT_TOPIC = AUDIT_ENTRY_ADDED.topic;
const CREATE = `mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } userErrors { message } } }`;
const SUBSCRIPTION = `subscription { auditEntryAdded { position topic entry { id action subjectId createdAt } } }`;

/** Wall-clock milliseconds with sub-millisecond precision: comparable with PostgreSQL's commit timestamps. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Received { position: string; subjectId: string; at: number }

/** One graphql-ws client with one subscription, stamping each message as it arrives. */
function openSubscriber(wsUrl: string, token: string) {
  const received: Received[] = [];
  const errors: unknown[] = [];
  const client: Client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false });
  client.subscribe<{ auditEntryAdded: { position: string; entry: { subjectId: string } } }>({ query: SUBSCRIPTION }, {
    next: (message) => {
      if (message.errors || !message.data) errors.push(message.errors);
      else received.push({ position: message.data.auditEntryAdded.position, subjectId: message.data.auditEntryAdded.entry.subjectId, at: now() });
    },
    error: (error) => errors.push(error),
    complete: () => errors.push('completed by the server'),
  });
  return { client, received, errors };
}

type Subscriber = ReturnType<typeof openSubscriber>;

async function main() {
  console.log(`machine: ${machine()}`);
  console.log(`load average before start (1, 5, 15 min): ${load()}`);
  console.log(`parameters: ${SUBSCRIBERS} subscribers on B; throughput ${WRITERS} writers × ${THROUGHPUT_S} s; latency ${RATE}/s × ${LATENCY_S} s; timer fallback ${POLL_RATE}/s × ${POLL_S} s (EVENT_POLL_MS ${EVENT_POLL_MS}); JOB_WORKERS ${JOB_WORKERS}`);
  const { database, sql, tearDown } = await commitTimestampCluster();
  const env = {
    NODE_ENV: 'production', DATABASE_URL: database.url, APP_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'info',
    EVENT_POLL_MS: String(EVENT_POLL_MS), JOB_WORKERS,
    // One client sends the whole load: a budget it cannot exhaust, so the figures measure serving, not refusing.
    RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000',
  };
  // One after the other: the first applies the migrations.
  const a = await startProcess('src/main.js', env);
  const b = await startProcess('src/main.js', env);
  // One JSON log line per request: only warnings and errors are kept (printed at the end), the terminal does not set the pace.
  const warnings: string[] = [];
  for (const [name, instance] of [['A', a], ['B', b]] as const) {
    createInterface({ input: instance.child.stdout! }).on('line', (line) => {
      if (/"level":(4|5|6)0/.test(line)) warnings.push(`${name}: ${line.slice(0, 3000)}`);
    });
  }
  const subscribers: Subscriber[] = [];
  try {
    const signedUp = await graphql(a.url, `mutation { signUp(input: { workspaceName: "事件基准", email: "bench@events.example", password: "bench-password", displayName: "bench" }) { token } }`);
    const token: string = signedUp.signUp.token;
    const workspaceId: string = (await sql.query(`select id from workspace`)).rows[0].id;

    let created = 0;
    const responseAt = new Map<string, number>(); // customer id → when A's response arrived
    const createCustomer = async () => {
      const data = await graphql(a.url, CREATE, { input: { name: `客户 ${++created}` } }, token);
      if (data.customerCreate.userErrors.length) throw new Error(JSON.stringify(data.customerCreate.userErrors));
      responseAt.set(data.customerCreate.customer.id, now());
      return data.customerCreate.customer.id as string;
    };

    for (let i = 0; i < SUBSCRIBERS; i++) subscribers.push(openSubscriber(b.url.replace(/^http/, 'ws'), token));
    const deliveredCount = () => subscribers.reduce((sum, s) => sum + s.received.length, 0);
    const waitUntil = async (done: () => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) return false;
        await sleep(5);
      }
      return true;
    };
    /** Waits until subscriber i holds counts[i] events, or none has received anything for STALL_MS (lost: the check counts it). */
    const waitForAll = async (counts: number[]) => {
      for (let seen = deliveredCount(); ;) {
        if (await waitUntil(() => subscribers.every((s, i) => s.received.length >= counts[i]), STALL_MS)) return true;
        if (deliveredCount() === seen) return false;
        seen = deliveredCount();
      }
    };
    // The starting line: the first event that every subscriber receives; all are listening from there on.
    let startLine: Received | undefined;
    while (!startLine) {
      const customerId = await createCustomer();
      const seen = (s: Subscriber) => s.received.find((r) => r.subjectId === customerId);
      if (await waitUntil(() => subscribers.every(seen), 2000)) startLine = seen(subscribers[0]);
    }
    const start = (await sql.query(`select transaction_id::text as t, position::text as p from domain_event where position = $1`, [startLine.position])).rows[0];
    subscribers.forEach((s) => s.received.splice(0, s.received.findIndex((r) => r.position === startLine!.position) + 1));

    const logCount = async () => {
      const { rows } = await sql.query(`select count(*)::int as all, count(*) filter (where topic = $1)::int as audit from domain_event`, [AUDIT_TOPIC]);
      return rows[0] as { all: number; audit: number };
    };

    // 1. throughput
    const before = await logCount();
    const deliveredBefore = deliveredCount();
    const loadBefore = load();
    const cpuBefore = { a: processCpuMs(a.child.pid!) / 1000, b: processCpuMs(b.child.pid!) / 1000 };
    const writeStart = now();
    const writeEnd = writeStart + THROUGHPUT_S * 1000;
    await Promise.all(Array.from({ length: WRITERS }, async () => {
      while (now() < writeEnd) await createCustomer();
    }));
    const writeSeconds = (now() - writeStart) / 1000;
    const after = await logCount();
    const expectedMessages = (after.audit - before.audit) * SUBSCRIBERS;
    const drained = await waitForAll(subscribers.map(() => after.audit - before.audit));
    const cpu = { a: processCpuMs(a.child.pid!) / 1000 - cpuBefore.a, b: processCpuMs(b.child.pid!) / 1000 - cpuBefore.b };
    const lastArrival = Math.max(...subscribers.map((s) => s.received[s.received.length - 1]?.at ?? 0));
    const deliverySeconds = (lastArrival - writeStart) / 1000;
    const throughput = {
      mutations: after.audit - before.audit,
      committedPerS: (after.all - before.all) / writeSeconds,
      auditCommittedPerS: (after.audit - before.audit) / writeSeconds,
      delivered: deliveredCount() - deliveredBefore,
      expectedMessages,
      deliveredPerS: (deliveredCount() - deliveredBefore) / deliverySeconds,
      deliverySeconds,
      writeSeconds,
      drained,
      cpuMsPerMutationOnA: ((cpu.a * 1000) / (after.audit - before.audit)).toFixed(1),
      cpuMsPerDeliveredMessageOnB: ((cpu.b * 1000) / (deliveredCount() - deliveredBefore)).toFixed(2),
      load: `${loadBefore} → ${load()}`,
      load1: `${loadBefore.split(' ')[0]} → ${os.loadavg()[0].toFixed(2)}`,
    };
    console.log(`throughput: ${JSON.stringify(throughput)}`);

    // 2. and 3. latency at a fixed rate: every mutation is sent at its time, whether the earlier ones have answered.
    // Each at a random moment of its 1/rate slot: sent on a strict beat, they would keep one phase to B's timer and
    // the timer-only figures would depend on that phase rather than on the timer.
    const atFixedRate = async (rate: number, seconds: number) => {
      const from = subscribers.map((s) => s.received.length);
      const t0 = now();
      const sent: Promise<unknown>[] = [];
      for (let i = 0; i < rate * seconds; i++) {
        const due = t0 + ((i + Math.random()) * 1000) / rate;
        if (due > now()) await sleep(due - now());
        sent.push(createCustomer());
      }
      await Promise.all(sent);
      const sentSeconds = (now() - t0) / 1000;
      await waitForAll(from.map((n) => n + rate * seconds));
      return { received: subscribers.map((s, i) => s.received.slice(from[i])), sentSeconds };
    };
    const latencies = async ({ received: phase, sentSeconds }: { received: Received[][]; sentSeconds: number }) => {
      const positions = [...new Set(phase.flat().map((r) => r.position))];
      const { rows } = await sql.query(
        `select position::text as position, extract(epoch from pg_xact_commit_timestamp(transaction_id::xid)) * 1000 as committed
         from domain_event where position = any($1::bigint[])`, [positions],
      );
      const committed = new Map<string, number>(rows.map((r) => [r.position, Number(r.committed)]));
      const blocked = await heldBackTransactions(sql, positions);
      const silent = blocked.filter((r) => r.silent);
      const fromCommit: number[] = [];
      const fromResponse: number[] = [];
      for (const received of phase) {
        for (const r of received) {
          fromCommit.push(r.at - committed.get(r.position)!);
          fromResponse.push(r.at - responseAt.get(r.subjectId)!);
        }
      }
      return {
        sentSeconds: sentSeconds.toFixed(1), fromCommit: summary(fromCommit), fromResponse: summary(fromResponse),
        heldBackShare: `${blocked.length} of ${rows.length} (${silent.length} by a transaction without events)`,
        heldBack: `${blocked.length} of ${rows.length} events committed while an older transaction ran (held back p50 ${summary(blocked.map((r) => r.waited)).p50} ms); `
          + `the last of those to end wrote no event (so no NOTIFY) for ${silent.length}`,
      };
    };

    const load1 = () => os.loadavg()[0].toFixed(2);
    let loadFrom = load1();
    const notified = { ...(await latencies(await atFixedRate(RATE, LATENCY_S))), load1: `${loadFrom} → ${load1()}` };
    console.log(`latency at ${RATE}/s (NOTIFY on): ${JSON.stringify(notified)}`);

    await sql.query(`alter table domain_event disable trigger domain_event_notify`);
    loadFrom = load1();
    const polled = { ...(await latencies(await atFixedRate(POLL_RATE, POLL_S))), load1: `${loadFrom} → ${load1()}` };
    await sql.query(`alter table domain_event enable trigger domain_event_notify`);
    console.log(`latency at ${POLL_RATE}/s (NOTIFY off, timer ${EVENT_POLL_MS} ms): ${JSON.stringify(polled)}`);

    // Every subscriber got every audit event of the workspace after the starting line, once, in the log's order.
    const { rows: log } = await sql.query(
      `select position::text as position from domain_event where workspace_id = $1 and topic = $2 and (transaction_id, position) > ($3::xid8, $4::bigint)
       order by domain_event.transaction_id, domain_event.position`, [workspaceId, AUDIT_TOPIC, start.t, start.p], // the columns, not the text output (see RESULTS.md)
    );
    const expected = log.map((r) => r.position);
    const tally = { lost: 0, twice: 0, outOfOrder: 0, errors: 0 };
    const rank = new Map(expected.map((p, i) => [p, i]));
    for (const subscriber of subscribers) {
      const got = subscriber.received.map((r) => r.position);
      const gotSet = new Set(got);
      tally.lost += expected.filter((p) => !gotSet.has(p)).length;
      tally.twice += got.length - gotSet.size;
      tally.outOfOrder += got.filter((p, i) => i > 0 && (rank.get(p) ?? Infinity) < (rank.get(got[i - 1]) ?? -Infinity)).length;
      tally.errors += subscriber.errors.length;
    }
    // Positions are drawn before commit: how often the log's (transaction, position) order differs from position order.
    const inversions = log.filter((r, i) => i > 0 && BigInt(r.position) < BigInt(log[i - 1].position)).length;
    if (tally.lost) {
      const missing = expected.filter((p) => !subscribers[0].received.some((r) => r.position === p));
      const { rows: lost } = await sql.query(
        `select position::text, transaction_id::text, pg_xact_commit_timestamp(transaction_id::xid) as committed from domain_event where position = any($1::bigint[])`, [missing],
      );
      console.log(`lost by the first subscriber: ${JSON.stringify(lost)}`);
      console.log(`lost per subscriber: ${subscribers.map((s) => expected.length - new Set(s.received.map((r) => r.position)).size).join(' ')}`);
    }
    const delivery = `${expected.length * SUBSCRIBERS - tally.lost}, ${tally.lost}, ${tally.twice}, ${tally.outOfOrder}`;
    console.log(`check over all three phases: ${expected.length} audit events in the log × ${SUBSCRIBERS} subscribers; delivered, lost, twice, out of order: ${delivery}; subscription errors: ${tally.errors}; events whose position is below the one before in the log's order: ${inversions}`);

    const date = new Date().toISOString().slice(0, 10);
    console.log(`\n| date | machine | load avg (1 min) | writers | subscribers | events committed/s (audit) | events delivered/s | all phases: delivered, lost, twice, out of order |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
    console.log(`| ${date} | ${machine()} | ${throughput.load1} | ${WRITERS} | ${SUBSCRIBERS} | ${throughput.committedPerS.toFixed(0)} (${throughput.auditCommittedPerS.toFixed(0)}) | ${throughput.deliveredPerS.toFixed(0)} | ${delivery} |`);
    console.log(`\n| date | load avg (1 min) | wake-up | rate/s | samples | commit → B p50 | p95 | p99 | max ms | A's response → B p50 | p99 ms | events held back by an older transaction |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
    for (const [phase, rate, r] of [['NOTIFY', RATE, notified], [`timer only (${EVENT_POLL_MS} ms)`, POLL_RATE, polled]] as const) {
      console.log(`| ${date} | ${r.load1} | ${phase} | ${rate} | ${r.fromCommit.n} | ${r.fromCommit.p50} | ${r.fromCommit.p95} | ${r.fromCommit.p99} | ${r.fromCommit.max} | ${r.fromResponse.p50} | ${r.fromResponse.p99} | ${r.heldBackShare} |`);
    }
    console.log(`warnings and errors logged by the instances: ${warnings.length}`);
    warnings.forEach((line) => console.log(line));
  } finally {
    await Promise.all(subscribers.map((s) => s.client.dispose()));
    await tearDown([a, b]);
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
