import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { printSummary, summarizeProfile } from './profile-summary';
import { commitTimestampDatabase, graphql, heldBackTransactions, load, machine, processCpuMs, startProcess, summary } from './support';

/**
 * `npm run bench:live`: live updates at 1,000 subscriptions (issue 9). Two server instances, each its own process
 * (dist/bench/live-server.js: the product's modules plus bench/live-module.ts, NODE_ENV=production) on one embedded
 * PostgreSQL 17 with commit timestamps on. A signs up a workspace and creates KEYS customers; SUBSCRIPTIONS graphql-ws
 * connections are opened on B, connection i with two subscriptions on customer i mod KEYS:
 * `customerFollowedUp(customerId)` (the event `customers.followUpCreated`, filtered by its ref customerId: the shape of
 * `messageAdded(conversationId)`) and `probeTyping(key: customerId)` (signals). Then:
 *  1. events: followUpCreate on A at RATE per second for SECONDS, each for a random customer; every subscriber of that
 *     customer on B receives it. Latency from PostgreSQL's commit timestamp of the event's transaction to its arrival
 *     at the subscriber (one machine, one clock); B's CPU per delivered message;
 *  2. signals: probeTypingSend on A at SIGNAL_RATE per second for SIGNAL_SECONDS, each for a random customer's key;
 *     latency from A's publish (its clock, the same machine's) to arrival on B; B's CPU per delivered signal.
 * KEYS = SUBSCRIPTIONS (the default) gives each subscription its own key (one subscriber per event: a conversation-heavy
 * workspace); fewer keys give each event KEYS / SUBSCRIPTIONS subscribers on B (fan-out, e.g. agents watching a queue).
 * BENCH_PROFILE=<dir> profiles B and prints where its CPU went during phase 1, by layer (bench/profile-summary.ts).
 * B's CPU is also given net of what it spends idle with the connections open (measured for 3 s before phase 1).
 * Prints the machine, the load, the commit and Markdown rows for RESULTS.md.
 */
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000);
const KEYS = Number(process.env.BENCH_KEYS ?? SUBSCRIPTIONS);
const RATE = Number(process.env.BENCH_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SIGNAL_RATE = Number(process.env.BENCH_SIGNAL_RATE ?? 20);
const SIGNAL_SECONDS = Number(process.env.BENCH_SIGNAL_SECONDS ?? 5);
/** Subscribers that received nothing for this long have received all they will: what is missing is lost. */
const STALL_MS = 5000;
/** 'false' runs B (the subscribers' instance) without job workers, as a web-only instance: to see what they cost it. */
const B_JOB_WORKERS = process.env.BENCH_B_JOB_WORKERS ?? 'true';
/** A folder: B runs under `node --cpu-prof`, and the profile of the events phase is summarized by layer at the end. */
const PROFILE_DIR = process.env.BENCH_PROFILE;

const FOLLOWED_UP = `subscription($customerId: ID!) { customerFollowedUp(customerId: $customerId) { position followUpId customer { id name } } }`;
const TYPING = `subscription($key: String) { probeTyping(key: $key) { key typing sentAt } }`;
const FOLLOW_UP_CREATE = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { userErrors { message } } }`;
const TYPING_SEND = `mutation($key: String!, $typing: Boolean!) { probeTypingSend(key: $key, typing: $typing) }`;

/** Wall-clock milliseconds with sub-millisecond precision: comparable with PostgreSQL's commit timestamps. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Subscriber {
  client: Client;
  key: string;
  events: Array<{ position: string; at: number }>;
  signals: Array<{ sentAt: number; at: number }>;
  errors: unknown[];
}

function openSubscriber(wsUrl: string, token: string, key: string): Subscriber {
  const subscriber: Subscriber = {
    client: createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false }),
    key, events: [], signals: [], errors: [],
  };
  const sink = <T>(onData: (data: T) => void) => ({
    next: (message: { data?: T | null; errors?: unknown }) => (message.errors || !message.data ? subscriber.errors.push(message.errors) : onData(message.data)),
    error: (error: unknown) => subscriber.errors.push(error),
    complete: () => subscriber.errors.push('completed by the server'),
  });
  subscriber.client.subscribe<{ customerFollowedUp: { position: string; customer: { id: string } | null } }>({ query: FOLLOWED_UP, variables: { customerId: key } },
    sink((data) => {
      if (data.customerFollowedUp.customer?.id !== key) subscriber.errors.push(`event ${data.customerFollowedUp.position} without its customer`);
      subscriber.events.push({ position: data.customerFollowedUp.position, at: now() });
    }));
  subscriber.client.subscribe<{ probeTyping: { sentAt: string } }>({ query: TYPING, variables: { key } },
    sink((data) => subscriber.signals.push({ sentAt: Date.parse(data.probeTyping.sentAt), at: now() })));
  return subscriber;
}

/** Sends `count` requests at `rate` per second, each at a random moment of its slot, without waiting for answers. */
async function atFixedRate(rate: number, count: number, send: () => Promise<unknown>): Promise<void> {
  const t0 = now();
  const sent: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + ((i + Math.random()) * 1000) / rate;
    if (due > now()) await sleep(due - now());
    sent.push(send());
  }
  await Promise.all(sent);
}

/** Waits until `total()` reaches `expected`, or nothing arrived for STALL_MS. */
async function drain(total: () => number, expected: number): Promise<void> {
  let seen = total();
  let lastChange = Date.now();
  while (total() < expected && Date.now() - lastChange < STALL_MS) {
    await sleep(20);
    if (total() !== seen) [seen, lastChange] = [total(), Date.now()];
  }
}

async function main() {
  const commit = execSync('git rev-parse --short HEAD', { cwd: path.join(__dirname, '..', '..') }).toString().trim();
  console.log(`machine: ${machine()}; commit ${commit}`);
  console.log(`load average before start (1, 5, 15 min): ${load()}`);
  console.log(`parameters: ${SUBSCRIPTIONS} connections on B, each with one event and one signal subscription, on ${KEYS} keys; events ${RATE}/s × ${SECONDS} s; signals ${SIGNAL_RATE}/s × ${SIGNAL_SECONDS} s; job workers on B: ${B_JOB_WORKERS}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-bench-'));
  const database = await commitTimestampDatabase(dataDir);
  const sql = new pg.Pool({ connectionString: database.url, max: 2 });
  sql.on('error', () => undefined);
  const env = {
    NODE_ENV: 'production', DATABASE_URL: database.url, APP_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'warn',
    RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000',
  };
  const a = await startProcess('bench/live-server.js', env);
  const b = await startProcess('bench/live-server.js', { ...env, JOB_WORKERS: B_JOB_WORKERS },
    PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-name=live-b.cpuprofile'] : []);
  // The instances log warnings and errors only: shown as they come.
  for (const instance of [a, b]) instance.child.stdout!.pipe(process.stderr);
  let profileWindow: { startUs: number; endUs: number } | undefined;
  const subscribers: Subscriber[] = [];
  try {
    const signedUp = await graphql(a.url, `mutation { signUp(input: { workspaceName: "实时基准", email: "bench@live.example", password: "bench-password", displayName: "bench" }) { token } }`);
    const token: string = signedUp.signUp.token;
    const keys: string[] = [];
    for (let i = 0; i < KEYS; i += 20) {
      const batch = Array.from({ length: Math.min(20, KEYS - i) }, (_, j) => `c${j}: customerCreate(input: { name: "客户 ${i + j}" }) { customer { id } }`);
      const created = await graphql(a.url, `mutation { ${batch.join(' ')} }`, {}, token);
      keys.push(...Object.values(created).map((c: any) => c.customer.id as string));
    }
    const wsUrl = b.url.replace(/^http/, 'ws');
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      subscribers.push(openSubscriber(wsUrl, token, keys[i % KEYS]));
      if (i % 50 === 49) await sleep(50); // connections open in steps, as clients would, not in one burst
    }
    const subscribersOf = new Map<string, number>();
    for (const s of subscribers) subscribersOf.set(s.key, (subscribersOf.get(s.key) ?? 0) + 1);

    // Every subscription is up once every connection heard a signal of its key (its event subscription was sent first).
    const typingEveryKey = async () => {
      for (let i = 0; i < KEYS; i += 20) {
        const batch = keys.slice(i, i + 20).map((key, j) => `t${j}: probeTypingSend(key: "${key}", typing: true)`);
        await graphql(a.url, `mutation { ${batch.join(' ')} }`, {}, token);
      }
    };
    const opening = now();
    while (subscribers.some((s) => !s.signals.length) && now() - opening < 120_000) {
      await typingEveryKey();
      await sleep(1000);
    }
    const ready = subscribers.filter((s) => s.signals.length).length;
    console.log(`subscriptions up: ${ready} of ${SUBSCRIPTIONS} connections heard a signal ${((now() - opening) / 1000).toFixed(1)} s after the last connection was opened; errors so far: ${subscribers.reduce((n, s) => n + s.errors.length, 0)}`);
    if (ready < SUBSCRIPTIONS) throw new Error('not every subscription came up: B is too busy for the figures to mean anything');
    subscribers.forEach((s) => s.signals.splice(0));
    // What B spends with the connections open and nothing to deliver (timers, the log's polling), to net it out below.
    const idleFrom = { cpu: processCpuMs(b.child.pid!), at: now() };
    await sleep(3000);
    const idleCpuMsPerS = ((processCpuMs(b.child.pid!) - idleFrom.cpu) * 1000) / (now() - idleFrom.at);
    const netCpuPerMessage = (cpuMs: number, ms: number, messages: number) => ((cpuMs - (idleCpuMsPerS * ms) / 1000) / messages).toFixed(2);

    // 1. events
    let written = 0;
    const eventCount = RATE * SECONDS;
    let expectedEvents = 0;
    const eventsReceived = () => subscribers.reduce((n, s) => n + s.events.length, 0);
    let load1 = os.loadavg()[0].toFixed(2);
    let cpuBefore = processCpuMs(b.child.pid!);
    let phaseStart = now();
    // V8 stamps profile samples with the monotonic clock in µs, the clock process.hrtime reads in every process.
    const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
    const profileStartUs = monotonicUs();
    await atFixedRate(RATE, eventCount, async () => {
      const key = keys[Math.floor(Math.random() * KEYS)];
      expectedEvents += subscribersOf.get(key) ?? 0;
      const data = await graphql(a.url, FOLLOW_UP_CREATE, { input: { customerId: key, method: 'PHONE', content: '回访' } }, token);
      if (data.followUpCreate.userErrors.length) throw new Error(JSON.stringify(data.followUpCreate.userErrors));
      written++;
    });
    await drain(eventsReceived, expectedEvents);
    const eventsCpuMs = processCpuMs(b.child.pid!) - cpuBefore;
    const eventsMs = now() - phaseStart;
    profileWindow = { startUs: profileStartUs, endUs: monotonicUs() };
    const positions = [...new Set(subscribers.flatMap((s) => s.events.map((e) => e.position)))];
    const { rows } = await sql.query(
      `select position::text as position, extract(epoch from pg_xact_commit_timestamp(transaction_id::xid)) * 1000 as committed
       from domain_event where position = any($1::bigint[])`, [positions],
    );
    const committed = new Map<string, number>(rows.map((r) => [r.position, Number(r.committed)]));
    const eventLatency = summary(subscribers.flatMap((s) => s.events.map((e) => e.at - committed.get(e.position)!)));
    const delivered = eventsReceived();
    const heldBack = await heldBackTransactions(sql, positions);
    const twice = subscribers.reduce((n, s) => n + s.events.length - new Set(s.events.map((e) => e.position)).size, 0);
    const events = {
      load1: `${load1} → ${os.loadavg()[0].toFixed(2)}`, written, expected: expectedEvents, delivered, twice,
      lost: expectedEvents - (delivered - twice), latency: eventLatency, cpuMsPerMessage: (eventsCpuMs / delivered).toFixed(2),
      netCpuMsPerMessage: netCpuPerMessage(eventsCpuMs, eventsMs, delivered),
      heldBack: `${heldBack.length} of ${positions.length} (${heldBack.filter((h) => h.silent).length} by a transaction without events)`,
    };
    console.log(`events: ${JSON.stringify(events)}`);

    // 2. signals
    let expectedSignals = 0;
    const signalsReceived = () => subscribers.reduce((n, s) => n + s.signals.length, 0);
    load1 = os.loadavg()[0].toFixed(2);
    cpuBefore = processCpuMs(b.child.pid!);
    phaseStart = now();
    await atFixedRate(SIGNAL_RATE, SIGNAL_RATE * SIGNAL_SECONDS, async () => {
      const key = keys[Math.floor(Math.random() * KEYS)];
      expectedSignals += subscribersOf.get(key) ?? 0;
      await graphql(a.url, TYPING_SEND, { key, typing: true }, token);
    });
    await drain(signalsReceived, expectedSignals);
    const signalsCpuMs = processCpuMs(b.child.pid!) - cpuBefore;
    const signalsMs = now() - phaseStart;
    const signalsDelivered = signalsReceived();
    const signals = {
      load1: `${load1} → ${os.loadavg()[0].toFixed(2)}`, sent: SIGNAL_RATE * SIGNAL_SECONDS, expected: expectedSignals, delivered: signalsDelivered,
      latency: summary(subscribers.flatMap((s) => s.signals.map((r) => r.at - r.sentAt))), cpuMsPerMessage: (signalsCpuMs / signalsDelivered).toFixed(2),
      netCpuMsPerMessage: netCpuPerMessage(signalsCpuMs, signalsMs, signalsDelivered),
    };
    console.log(`signals: ${JSON.stringify(signals)}`);
    const errors = subscribers.reduce((n, s) => n + s.errors.length, 0);
    console.log(`subscription errors: ${errors}; B idle with the connections open: ${idleCpuMsPerS.toFixed(1)} ms CPU per second`);

    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    console.log(`\n| date (UTC), commit | load avg (1 min) | connections on B, keys | what | rate/s | sent | delivered (expected), lost | from → B p50 ms | p95 | p99 | max | CPU B ms/message (net of idle) | events held back by an older transaction |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
    console.log(`| ${date}, ${commit} | ${events.load1} | ${SUBSCRIPTIONS}, ${KEYS} | events (commit → B) | ${RATE} | ${events.written} | ${delivered} (${expectedEvents}), ${events.lost} | ${eventLatency.p50} | ${eventLatency.p95} | ${eventLatency.p99} | ${eventLatency.max} | ${events.cpuMsPerMessage} (${events.netCpuMsPerMessage}) | ${events.heldBack} |`);
    console.log(`| ${date}, ${commit} | ${signals.load1} | ${SUBSCRIPTIONS}, ${KEYS} | signals (A's publish → B) | ${SIGNAL_RATE} | ${signals.sent} | ${signalsDelivered} (${expectedSignals}), ${expectedSignals - signalsDelivered} | ${signals.latency.p50} | ${signals.latency.p95} | ${signals.latency.p99} | ${signals.latency.max} | ${signals.cpuMsPerMessage} (${signals.netCpuMsPerMessage}) | – |`);
  } finally {
    await Promise.all(subscribers.map((s) => s.client.dispose()));
    await a.stop();
    await b.stop();
    await sql.end();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (PROFILE_DIR && profileWindow) {
    console.log(`\nB's CPU profile during the events phase (${path.join(PROFILE_DIR, 'live-b.cpuprofile')}):\n`);
    printSummary(summarizeProfile(path.join(PROFILE_DIR, 'live-b.cpuprofile'), profileWindow));
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
