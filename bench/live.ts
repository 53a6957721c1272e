import { execSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { REACTIONS_QUEUE } from '../src/kernel/jobs';
import { printSummary, summarizeProfile } from './profile-summary';
import { commitTimestampCluster, graphql, heldBackTransactions, load, machine, processCpuMs, startProcess, summary } from './support';

/**
 * `npm run bench:live`: live updates at 1,000 subscriptions (issue 9), on the conversations module's own fields. Two
 * server instances, each its own process (dist/src/main.js, the product as shipped, NODE_ENV=production) on one
 * embedded PostgreSQL 17 with commit timestamps on. On A the owner signs up, creates AGENTS agents (left offline: the
 * conversations stay QUEUED, where visitor and staff can both write) and a web channel, and starts KEYS conversations
 * through `conversationStart`, each for its own visitor (keeping each visitor's token). SUBSCRIPTIONS graphql-ws
 * connections are opened on B, connection i on conversation k = i mod KEYS, with `messageAdded(conversationId)` and
 * `typingChanged(conversationId)`. The mix: on an odd k the subscriber is the conversation's visitor (its guest token,
 * the widget) and an agent writes to it; on an even k the subscriber is an agent (conversations:read, agents taken in
 * turn) and the visitor writes. Half and half: every open conversation has a widget waiting for the agent and an agent
 * waiting for the visitor; each subscriber receives what the other side writes. Then:
 *  1. events: `messageSend` (TEXT) on A at RATE per second for SECONDS, each to a random conversation, by its other
 *     side; every subscriber of that conversation on B receives it. Latency from PostgreSQL's commit timestamp of the
 *     message's transaction to its arrival at the subscriber (one machine, one clock); B's CPU per delivered message;
 *  2. signals: `typingSet` on A at SIGNAL_RATE per second for SIGNAL_SECONDS, by the other side of a random
 *     conversation; latency from A's publish (`sentAt`, its clock, the same machine's) to arrival on B; B's CPU per
 *     delivered signal.
 * KEYS = SUBSCRIPTIONS (the default) gives each subscription its own conversation (one subscriber per message: the
 * issue's case); fewer keys give each message SUBSCRIPTIONS / KEYS subscribers on B (fan-out: several devices or agents
 * on one conversation).
 * BENCH_PROFILE=<dir> profiles B and prints where its CPU went during phase 1, by layer (bench/profile-summary.ts).
 * B's CPU is also given net of what it spends idle with the connections open (measured for 3 s before phase 1).
 * Prints the machine, the load, the commit and Markdown rows for RESULTS.md.
 */
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000);
const KEYS = Number(process.env.BENCH_KEYS ?? SUBSCRIPTIONS);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 10);
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

const MESSAGE_ADDED = `subscription($conversationId: ID!) { messageAdded(conversationId: $conversationId) { position message { id seq kind content authorKind } } }`;
const TYPING_CHANGED = `subscription($conversationId: ID!) { typingChanged(conversationId: $conversationId) { conversationId typing authorKind sentAt } }`;
const MESSAGE_SEND = `mutation($input: MessageSendInput!) { messageSend(input: $input) { message { id } userErrors { field code message } } }`;
const TYPING_SET = `mutation($input: TypingSetInput!) { typingSet(input: $input) { userErrors { field code message } } }`;
const CONVERSATION_START = (i: number) =>
  `s${i}: conversationStart(input: { channelId: $channelId, visitor: { externalId: "bench-visitor-${i}", name: "访客 ${i}" }, message: "你好，在吗？" }) { conversation { id status } visitorToken userErrors { field code message } }`;

/** Wall-clock milliseconds with sub-millisecond precision: comparable with PostgreSQL's commit timestamps. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A conversation of the bench: who follows it on B and who writes to it on A (its other side). */
interface Conversation {
  id: string;
  visitorToken: string;
  /** Odd conversations: the visitor follows (the widget) and an agent writes; even: an agent follows and the visitor writes. */
  visitorFollows: boolean;
  agentToken: string;
}
const subscriberToken = (c: Conversation) => (c.visitorFollows ? c.visitorToken : c.agentToken);
const writerToken = (c: Conversation) => (c.visitorFollows ? c.agentToken : c.visitorToken);

interface Subscriber {
  client: Client;
  conversation: Conversation;
  /** Messages received: the message id, the event's position, when. */
  events: Array<{ messageId: string; position: string; at: number }>;
  signals: Array<{ sentAt: number; at: number }>;
  errors: unknown[];
}

function openSubscriber(wsUrl: string, conversation: Conversation): Subscriber {
  const subscriber: Subscriber = {
    client: createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${subscriberToken(conversation)}` }, retryAttempts: 0, lazy: false }),
    conversation, events: [], signals: [], errors: [],
  };
  const sink = <T>(onData: (data: T) => void) => ({
    next: (message: { data?: T | null; errors?: unknown }) => (message.errors || !message.data ? subscriber.errors.push(message.errors) : onData(message.data)),
    error: (error: unknown) => subscriber.errors.push(error),
    complete: () => subscriber.errors.push('completed by the server'),
  });
  const variables = { conversationId: conversation.id };
  subscriber.client.subscribe<{ messageAdded: { position: string; message: { id: string } | null } }>({ query: MESSAGE_ADDED, variables },
    sink((data) => {
      if (!data.messageAdded.message) subscriber.errors.push(`event ${data.messageAdded.position} without its message`);
      subscriber.events.push({ messageId: data.messageAdded.message?.id ?? '', position: data.messageAdded.position, at: now() });
    }));
  subscriber.client.subscribe<{ typingChanged: { conversationId: string; sentAt: string } }>({ query: TYPING_CHANGED, variables },
    sink((data) => {
      if (data.typingChanged.conversationId !== conversation.id) subscriber.errors.push(`typing of ${data.typingChanged.conversationId}`);
      subscriber.signals.push({ sentAt: Date.parse(data.typingChanged.sentAt), at: now() });
    }));
  return subscriber;
}

/** Throws on a mutation's userErrors: the bench's own requests must all succeed. */
function succeeded<T extends { userErrors: unknown[] }>(payload: T): T {
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
  return payload;
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
  console.log(`parameters: ${SUBSCRIPTIONS} connections on B, each with messageAdded and typingChanged, on ${KEYS} conversations (half followed by their visitor, half by one of ${AGENTS} agents); messageSend ${RATE}/s × ${SECONDS} s; typingSet ${SIGNAL_RATE}/s × ${SIGNAL_SECONDS} s; job workers on B: ${B_JOB_WORKERS}`);
  const { database, sql, tearDown } = await commitTimestampCluster();
  const env = {
    NODE_ENV: 'production', DATABASE_URL: database.url, APP_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'warn',
    RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000',
  };
  const a = await startProcess('src/main.js', env);
  const b = await startProcess('src/main.js', { ...env, JOB_WORKERS: B_JOB_WORKERS },
    PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-name=live-b.cpuprofile'] : []);
  // The instances log warnings and errors only (and main.js its one line on start): shown as they come.
  for (const instance of [a, b]) instance.child.stdout!.pipe(process.stderr);
  let profileWindow: { startUs: number; endUs: number } | undefined;
  const subscribers: Subscriber[] = [];
  try {
    // The desk: the owner, AGENTS agents (offline), a group and a web channel; conversations wait QUEUED.
    const signedUp = await graphql(a.url, `mutation { signUp(input: { workspaceName: "实时基准", email: "bench@live.example", password: "bench-password", displayName: "bench" }) { token } }`);
    const ownerToken: string = signedUp.signUp.token;
    const agentTokens: string[] = [];
    const agentIds: string[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const email = `agent-${i}@live.example`;
      const created = succeeded((await graphql(a.url, `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { field code message } } }`,
        { input: { email, password: 'bench-password', displayName: `客服 ${i}`, role: 'AGENT' } }, ownerToken)).userCreate);
      agentIds.push(created.user.id);
      agentTokens.push((await graphql(a.url, `mutation($input: LoginInput!) { login(input: $input) { token } }`, { input: { email, password: 'bench-password' } })).login.token);
    }
    const group = succeeded((await graphql(a.url, `mutation($input: ServiceGroupCreateInput!) { serviceGroupCreate(input: $input) { serviceGroup { id } userErrors { field code message } } }`,
      { input: { name: '售前组', assignmentRule: 'ROUND_ROBIN', returningCustomerFirst: false, memberIds: agentIds } }, ownerToken)).serviceGroupCreate);
    const channel = succeeded((await graphql(a.url, `mutation($input: ChannelCreateInput!) { channelCreate(input: $input) { channel { id } userErrors { field code message } } }`,
      { input: { name: '官网', type: 'WEB', receptionMode: 'HUMAN_FIRST', defaultGroupId: group.serviceGroup.id } }, ownerToken)).channelCreate);
    const conversations: Conversation[] = [];
    const setUpFrom = now();
    // 20 conversations a request, 5 requests at a time: each start is its own transaction, so most of a request is
    // waiting for commits, which run side by side.
    const batches = Array.from({ length: Math.ceil(KEYS / 20) }, (_, b) => Array.from({ length: Math.min(20, KEYS - b * 20) }, (_, j) => b * 20 + j));
    const payloads: any[] = [];
    for (let b = 0; b < batches.length; b += 5) {
      const answers = await Promise.all(batches.slice(b, b + 5).map((batch) =>
        graphql(a.url, `mutation($channelId: ID!) { ${batch.map(CONVERSATION_START).join(' ')} }`, { channelId: channel.channel.id }, ownerToken)));
      for (const answer of answers) payloads.push(...Object.values(answer));
    }
    for (const [k, payload] of payloads.entries()) {
      succeeded(payload);
      if (payload.conversation.status !== 'QUEUED') throw new Error(`conversation ${k} is ${payload.conversation.status}, not QUEUED`);
      conversations.push({ id: payload.conversation.id, visitorToken: payload.visitorToken, visitorFollows: k % 2 === 1, agentToken: agentTokens[Math.floor(k / 2) % AGENTS] });
    }
    // Reaction jobs (pg-boss) due and not done: the starts' (queue-wait timers; the silence timer and the bot on each
    // first message) and, later, the messages'. Each instance's reaction workers take one job per poll (every 2 s)
    // when the jobs are quick: a backlog outlasts the run, and B works on it while idle as during the phases.
    const reactionsDue = async () => Number((await sql.query(`select count(*) from pgboss.job where name = $1 and state in ('created', 'retry', 'active') and start_after <= now()`, [REACTIONS_QUEUE])).rows[0].count);
    console.log(`set up: ${KEYS} conversations started in ${((now() - setUpFrom) / 1000).toFixed(1)} s; reaction jobs due: ${await reactionsDue()}`);

    const wsUrl = b.url.replace(/^http/, 'ws');
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      subscribers.push(openSubscriber(wsUrl, conversations[i % KEYS]));
      if (i % 50 === 49) await sleep(50); // connections open in steps, as clients would, not in one burst
    }
    const subscribersOf = new Map<string, number>();
    for (const s of subscribers) subscribersOf.set(s.conversation.id, (subscribersOf.get(s.conversation.id) ?? 0) + 1);
    const visitorSubscribers = subscribers.filter((s) => s.conversation.visitorFollows).length;

    // Every subscription is up once every connection heard a typing signal of its conversation (its messageAdded
    // subscription was sent first). The owner types (conversations:write), 20 conversations a request.
    const typingEverywhere = async () => {
      for (let i = 0; i < KEYS; i += 20) {
        const batch = conversations.slice(i, i + 20).map((c, j) => `t${j}: typingSet(input: { conversationId: "${c.id}", typing: true }) { userErrors { message } }`);
        await graphql(a.url, `mutation { ${batch.join(' ')} }`, {}, ownerToken);
      }
    };
    const opening = now();
    while (subscribers.some((s) => !s.signals.length) && now() - opening < 120_000) {
      await typingEverywhere();
      await sleep(1000);
    }
    const ready = subscribers.filter((s) => s.signals.length).length;
    console.log(`subscriptions up: ${ready} of ${SUBSCRIPTIONS} connections (${visitorSubscribers} visitors, ${SUBSCRIPTIONS - visitorSubscribers} agents) heard a signal ${((now() - opening) / 1000).toFixed(1)} s after the last connection was opened; errors so far: ${subscribers.reduce((n, s) => n + s.errors.length, 0)}`);
    if (ready < SUBSCRIPTIONS) throw new Error('not every subscription came up: B is too busy for the figures to mean anything');
    subscribers.forEach((s) => s.signals.splice(0));
    // What B spends with the connections open and nothing to deliver (timers, the log's polling), to net it out below.
    const idleFrom = { cpu: processCpuMs(b.child.pid!), at: now() };
    await sleep(3000);
    const idleCpuMsPerS = ((processCpuMs(b.child.pid!) - idleFrom.cpu) * 1000) / (now() - idleFrom.at);
    const netCpuPerMessage = (cpuMs: number, ms: number, messages: number) => ((cpuMs - (idleCpuMsPerS * ms) / 1000) / messages).toFixed(2);

    // 1. events: messageSend by the other side of a random conversation
    const sent = new Set<string>();
    const eventCount = RATE * SECONDS;
    let expectedEvents = 0;
    const eventsReceived = () => subscribers.reduce((n, s) => n + s.events.length, 0);
    const reactionsBefore = await reactionsDue();
    let load1 = os.loadavg()[0].toFixed(2);
    let cpuBefore = processCpuMs(b.child.pid!);
    let phaseStart = now();
    // V8 stamps profile samples with the monotonic clock in µs, the clock process.hrtime reads in every process.
    const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
    const profileStartUs = monotonicUs();
    await atFixedRate(RATE, eventCount, async () => {
      const conversation = conversations[Math.floor(Math.random() * KEYS)];
      expectedEvents += subscribersOf.get(conversation.id) ?? 0;
      const data = await graphql(a.url, MESSAGE_SEND, { input: { conversationId: conversation.id, kind: 'TEXT', content: `在的，消息 ${sent.size}` } }, writerToken(conversation));
      sent.add(succeeded(data.messageSend).message.id);
    });
    await drain(eventsReceived, expectedEvents);
    const eventsCpuMs = processCpuMs(b.child.pid!) - cpuBefore;
    const eventsMs = now() - phaseStart;
    profileWindow = { startUs: profileStartUs, endUs: monotonicUs() };
    // Only the bench's messages count (a reaction of the product writing to a conversation would show as `other`).
    const received = subscribers.flatMap((s) => s.events.filter((e) => sent.has(e.messageId)));
    const other = eventsReceived() - received.length;
    const positions = [...new Set(received.map((e) => e.position))];
    const { rows } = await sql.query(
      `select position::text as position, extract(epoch from pg_xact_commit_timestamp(transaction_id::xid)) * 1000 as committed
       from domain_event where position = any($1::bigint[])`, [positions],
    );
    const committed = new Map<string, number>(rows.map((r) => [r.position, Number(r.committed)]));
    const eventLatency = summary(received.map((e) => e.at - committed.get(e.position)!));
    const latencyOf = (visitorFollows: boolean) =>
      summary(subscribers.filter((s) => s.conversation.visitorFollows === visitorFollows).flatMap((s) => s.events.filter((e) => sent.has(e.messageId)).map((e) => e.at - committed.get(e.position)!)));
    const delivered = received.length;
    const heldBack = await heldBackTransactions(sql, positions);
    const twice = subscribers.reduce((n, s) => n + s.events.length - new Set(s.events.map((e) => e.messageId)).size, 0);
    const events = {
      load1: `${load1} → ${os.loadavg()[0].toFixed(2)}`, written: sent.size, expected: expectedEvents, delivered, twice, other,
      lost: expectedEvents - (delivered - twice), latency: eventLatency, toVisitors: latencyOf(true), toAgents: latencyOf(false),
      cpuMsPerMessage: (eventsCpuMs / delivered).toFixed(2), netCpuMsPerMessage: netCpuPerMessage(eventsCpuMs, eventsMs, delivered),
      heldBack: `${heldBack.length} of ${positions.length} (${heldBack.filter((h) => h.silent).length} by a transaction without events)`,
      heldBackWaitedMs: summary(heldBack.map((h) => h.waited)), reactionJobsDue: `${reactionsBefore} → ${await reactionsDue()}`,
    };
    console.log(`events: ${JSON.stringify(events)}`);
    // The slowest deliveries, by when their message committed: clustered (B or the database stalled) or scattered.
    const slowest = subscribers.flatMap((s) => s.events.filter((e) => sent.has(e.messageId))
      .map((e) => ({ committedAtS: (committed.get(e.position)! - phaseStart) / 1000, ms: e.at - committed.get(e.position)!, to: s.conversation.visitorFollows ? 'visitor' : 'agent' })))
      .sort((x, y) => y.ms - x.ms).slice(0, 8).sort((x, y) => x.committedAtS - y.committedAtS);
    console.log(`slowest deliveries (s into the phase the message committed, ms to B, subscriber): ${slowest.map((d) => `${d.committedAtS.toFixed(2)} s ${d.ms.toFixed(0)} ms ${d.to}`).join('; ')}`);

    // 2. signals: typingSet by the other side of a random conversation
    let expectedSignals = 0;
    const signalsReceived = () => subscribers.reduce((n, s) => n + s.signals.length, 0);
    load1 = os.loadavg()[0].toFixed(2);
    cpuBefore = processCpuMs(b.child.pid!);
    phaseStart = now();
    await atFixedRate(SIGNAL_RATE, SIGNAL_RATE * SIGNAL_SECONDS, async () => {
      const conversation = conversations[Math.floor(Math.random() * KEYS)];
      expectedSignals += subscribersOf.get(conversation.id) ?? 0;
      succeeded((await graphql(a.url, TYPING_SET, { input: { conversationId: conversation.id, typing: true } }, writerToken(conversation))).typingSet);
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
    const errors = subscribers.flatMap((s) => s.errors);
    console.log(`subscription errors: ${errors.length}${errors.length ? ` (first: ${JSON.stringify(errors[0])})` : ''}; B idle with the connections open: ${idleCpuMsPerS.toFixed(1)} ms CPU per second`);

    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    console.log(`\n| date (UTC), commit | load avg (1 min) | connections on B, conversations | what | rate/s | sent | delivered (expected), lost | from → B p50 ms | p95 | p99 | max | CPU B ms/message (net of idle) | messages held back by an older transaction |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
    console.log(`| ${date}, ${commit} | ${events.load1} | ${SUBSCRIPTIONS}, ${KEYS} | messageSend → messageAdded (commit → B) | ${RATE} | ${events.written} | ${delivered} (${expectedEvents}), ${events.lost} | ${eventLatency.p50} | ${eventLatency.p95} | ${eventLatency.p99} | ${eventLatency.max} | ${events.cpuMsPerMessage} (${events.netCpuMsPerMessage}) | ${events.heldBack} |`);
    console.log(`| ${date}, ${commit} | ${signals.load1} | ${SUBSCRIPTIONS}, ${KEYS} | typingSet → typingChanged (A's publish → B) | ${SIGNAL_RATE} | ${signals.sent} | ${signalsDelivered} (${expectedSignals}), ${expectedSignals - signalsDelivered} | ${signals.latency.p50} | ${signals.latency.p95} | ${signals.latency.p99} | ${signals.latency.max} | ${signals.cpuMsPerMessage} (${signals.netCpuMsPerMessage}) | – |`);
  } finally {
    await Promise.all(subscribers.map((s) => s.client.dispose()));
    await tearDown([a, b]);
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
