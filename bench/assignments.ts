import { execSync } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';
import { parseGlobalId, toGlobalId } from '../src/graphql/global-id';
import { assignmentViolations, queueOrderViolations, violationCount, type QueuedStart } from './assignment-invariants';
import path from 'node:path';
import { printSummary, summarizeProfile } from './profile-summary';
import { benchDatabase, graphql, load, machine, processCpuMs, startProcess, summary } from './support';

/**
 * `npm run bench:assignments`: the assignment engine through the API (issue 9, Performance). Two server instances,
 * each its own process (dist/src/main.js, NODE_ENV=production), on one embedded PostgreSQL. A workspace with GROUPS
 * service groups of AGENTS / GROUPS agents each (capacity CAPACITY, all ONLINE), one channel per group, and
 * VISITORS returning visitors (each started and closed one conversation in the warm-up, so their customer exists:
 * a new customer takes the workspace's customer-number counter, one at a time per workspace, and would measure
 * that instead). Then for SECONDS:
 *  - STARTERS loops call conversationStart for the visitors in turn, on both instances (while the queues hold fewer
 *    than MAX_QUEUE conversations: the agents stay busy and the queue stays finite);
 *  - CLOSERS loops close the ACTIVE conversations assigned longest ago, on both instances, each close's freed slot
 *    taking the head of the queue in the same transaction.
 * Assignments per second are the Assignment rows written in the window (direct at start, and from the queue at
 * close). Afterwards: the invariants of test/conversations-concurrency.test.ts (bench/assignment-invariants.ts), and
 * the estimated wait's error (conversations that queued: the estimate their start returned vs the time until their
 * first assignment). During the run, the database's backends are sampled (what they wait for) to show the limit.
 * Then, for BENCH_FLOOR_SECONDS (10; 0: not), the floor: as many callers send the cheapest write request there is (a
 * transaction that locks one row and changes nothing), to show what any write costs on this stack here.
 * BENCH_PROFILE=<dir>: instance A runs under `node --cpu-prof` and PostgreSQL with pg_stat_statements; at the end, A's
 * CPU in the window by layer (bench/profile-summary.ts) and the statements that took the database's time.
 */
const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 5);
const CAPACITY = Number(process.env.BENCH_CAPACITY ?? 1);
const VISITORS = Number(process.env.BENCH_VISITORS ?? 300);
const STARTERS = Number(process.env.BENCH_STARTERS ?? 12);
const CLOSERS = Number(process.env.BENCH_CLOSERS ?? 12);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const MAX_QUEUE = Number(process.env.BENCH_MAX_QUEUE ?? 100);
const POOL = process.env.BENCH_DB_POOL_SIZE ?? '10';
const PROFILE_DIR = process.env.BENCH_PROFILE;
const FLOOR_SECONDS = Number(process.env.BENCH_FLOOR_SECONDS ?? 10);

const START = `mutation($input: ConversationStartInput!) { conversationStart(input: $input) {
  conversation { id status estimatedWaitSeconds } userErrors { code message } } }`;
const CLOSE = `mutation($input: ConversationIdInput!) { conversationClose(input: $input) { userErrors { code } } }`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const uuidOf = (globalId: string) => parseGlobalId(globalId)!.id;

async function main() {
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  console.log(`machine: ${machine()}; commit ${commit}`);
  console.log(`load average before start (1, 5, 15 min): ${load()}`);
  console.log(`parameters: ${AGENTS} agents in ${GROUPS} groups, capacity ${CAPACITY}; ${VISITORS} returning visitors; ${STARTERS} starters, ${CLOSERS} closers, ${SECONDS} s, queue cap ${MAX_QUEUE}; DB_POOL_SIZE ${POOL}`);
  const database = await benchDatabase(PROFILE_DIR ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : undefined);
  const sql = new pg.Pool({ connectionString: database.url, max: 3 });
  sql.on('error', () => undefined);
  const env = {
    NODE_ENV: 'production', DATABASE_URL: database.url, APP_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'warn',
    DB_POOL_SIZE: POOL, RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000',
  };
  const a = await startProcess('src/main.js', env, PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-name=assignments-a.cpuprofile'] : []);
  let profileWindow: { startUs: number; endUs: number } | undefined;
  let statements: Array<Record<string, unknown>> = [];
  const b = await startProcess('src/main.js', env);
  const urls = [a.url, b.url];
  try {
    const { signUp } = await graphql(a.url, `mutation { signUp(input: { workspaceName: "分配基准", email: "bench@assign.example", password: "bench-password", displayName: "店主" }) { token user { workspace { id } } } }`);
    const token: string = signUp.token;
    const workspaceId = uuidOf(signUp.user.workspace.id);

    // Agents, groups, channels.
    const agents: Array<{ id: string; token: string }> = [];
    await Promise.all(Array.from({ length: AGENTS }, async (_, i) => {
      const email = `agent${i}@assign.example`;
      const { userCreate } = await graphql(urls[i % 2], `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } } }`, { input: { email, password: 'bench-password', displayName: `客服${i}`, role: 'AGENT' } }, token);
      const { login } = await graphql(urls[i % 2], `mutation($input: LoginInput!) { login(input: $input) { token } }`, { input: { email, password: 'bench-password' } });
      agents[i] = { id: userCreate.user.id, token: login.token };
    }));
    const channels: string[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const members = agents.filter((_, i) => i % GROUPS === g).map((agent) => agent.id);
      const { serviceGroupCreate } = await graphql(a.url, `mutation($input: ServiceGroupCreateInput!) { serviceGroupCreate(input: $input) { serviceGroup { id } } }`,
        { input: { name: `组${g}`, assignmentRule: ['LEAST_LOAD', 'ROUND_ROBIN', 'SEQUENTIAL', 'FILL_UP'][g % 4], returningCustomerFirst: g % 2 === 1, memberIds: members } }, token);
      const { channelCreate } = await graphql(a.url, `mutation($input: ChannelCreateInput!) { channelCreate(input: $input) { channel { id } } }`,
        { input: { name: `渠道${g}`, type: 'WEB', receptionMode: 'HUMAN_FIRST', defaultGroupId: serviceGroupCreate.serviceGroup.id } }, token);
      channels.push(channelCreate.channel.id);
    }
    await Promise.all(agents.map(async (agent, i) => {
      await graphql(urls[i % 2], `mutation($input: AgentCapacitySetInput!) { agentCapacitySet(input: $input) { userErrors { message } } }`, { input: { userId: agent.id, capacity: CAPACITY } }, token);
      await graphql(urls[i % 2], `mutation { agentStatusSet(input: { status: ONLINE }) { userErrors { message } } }`, {}, agent.token);
    }));

    const start = async (visitor: number) => {
      const { conversationStart } = await graphql(urls[visitor % 2], START, {
        input: { channelId: channels[visitor % GROUPS], visitor: { externalId: `visitor-${visitor}` }, message: '你好，在吗？' },
      }, token);
      if (conversationStart.userErrors.length) throw new Error(JSON.stringify(conversationStart.userErrors));
      return conversationStart.conversation as { id: string; status: string; estimatedWaitSeconds: number | null };
    };
    const close = async (id: string, instance: number) => {
      const { conversationClose } = await graphql(urls[instance % 2], CLOSE, { input: { id: toGlobalId('Conversation', id) } }, token);
      return conversationClose.userErrors.length === 0;
    };
    // The oldest ACTIVE conversations, handed out to the closers once each (refilled when empty).
    let toClose: string[] = [];
    const claimed = new Set<string>();
    let refilling: Promise<void> | null = null;
    const nextToClose = async (): Promise<string | undefined> => {
      if (!toClose.length) {
        refilling ??= sql.query(`select id from conversation where workspace_id = $1 and status = 'ACTIVE' order by assigned_at limit 200`, [workspaceId])
          .then(({ rows }) => { toClose = rows.map((r) => r.id).filter((id) => !claimed.has(id)); }).finally(() => { refilling = null; });
        await refilling;
      }
      const id = toClose.shift();
      if (id) claimed.add(id);
      return id;
    };

    // Warm-up: every visitor starts and closes one conversation (their customer is made here).
    const warmStart = Date.now();
    let nextVisitor = 0;
    await Promise.all(Array.from({ length: 16 }, async (_, worker) => {
      while (nextVisitor < VISITORS) {
        const conversation = await start(nextVisitor++);
        await close(uuidOf(conversation.id), worker);
      }
    }));
    // Queued ones left by the warm-up: closed too, so the window starts empty.
    for (;;) {
      const id = await nextToClose();
      if (!id) break;
      await close(id, 0);
    }
    const { rows: leftover } = await sql.query(`select id from conversation where workspace_id = $1 and status = 'QUEUED'`, [workspaceId]);
    for (const row of leftover) await close(row.id, 0);
    console.log(`warm-up: ${VISITORS} visitors in ${((Date.now() - warmStart) / 1000).toFixed(1)} s`);

    // The window.
    const count = async () => (await sql.query(`select count(*)::int as n from assignment where workspace_id = $1`, [workspaceId])).rows[0].n as number;
    const assignmentsBefore = await count();
    let queueLength = 0;
    const queued: QueuedStart[] = [];
    const estimates = new Map<string, number | null>();
    const tally = { starts: 0, continued: 0, closes: 0, closedAlready: 0, startMs: [] as number[], closeMs: [] as number[] };
    const waits: Record<string, number> = {};
    const cpuBefore = { a: processCpuMs(a.child.pid!), b: processCpuMs(b.child.pid!), db: database.cpuMs() };
    const loadFrom = os.loadavg()[0].toFixed(2);
    // V8 stamps profile samples with the monotonic clock in µs, the clock process.hrtime reads in every process.
    const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
    const profileStartUs = monotonicUs();
    if (PROFILE_DIR) await sql.query('create extension if not exists pg_stat_statements; select pg_stat_statements_reset()');
    const t0 = Date.now();
    const end = t0 + SECONDS * 1000;
    let visitor = 0;
    const seen = new Set<string>();
    const sampler = (async () => {
      while (Date.now() < end) {
        const { rows: [q] } = await sql.query(`select count(*)::int as n from conversation where workspace_id = $1 and status = 'QUEUED'`, [workspaceId]);
        queueLength = q.n;
        const { rows } = await sql.query(`select coalesce(wait_event_type || ':' || wait_event, 'CPU') as what, state from pg_stat_activity
          where backend_type = 'client backend' and state <> 'idle' and pid <> pg_backend_pid()`);
        for (const row of rows) waits[`${row.state} ${row.what}`] = (waits[`${row.state} ${row.what}`] ?? 0) + 1;
        await sleep(100);
      }
    })();
    const starters = Promise.all(Array.from({ length: STARTERS }, async () => {
      while (Date.now() < end) {
        if (queueLength >= MAX_QUEUE) {
          await sleep(20);
          continue;
        }
        const v = visitor++ % VISITORS;
        const sent = Date.now();
        const conversation = await start(v);
        tally.startMs.push(Date.now() - sent);
        const id = uuidOf(conversation.id);
        if (seen.has(id)) tally.continued += 1;
        else tally.starts += 1;
        seen.add(id);
        if (conversation.status === 'QUEUED' && !estimates.has(id)) {
          queued.push({ id, answeredAt: Date.now() });
          estimates.set(id, conversation.estimatedWaitSeconds);
        }
      }
    }));
    const closers = Promise.all(Array.from({ length: CLOSERS }, async (_, worker) => {
      while (Date.now() < end) {
        const id = await nextToClose();
        if (!id) {
          await sleep(10);
          continue;
        }
        const sent = Date.now();
        if (await close(id, worker)) tally.closes += 1;
        else tally.closedAlready += 1;
        tally.closeMs.push(Date.now() - sent);
      }
    }));
    await Promise.all([starters, closers, sampler]);
    const seconds = (Date.now() - t0) / 1000;
    profileWindow = { startUs: profileStartUs, endUs: monotonicUs() };
    if (PROFILE_DIR) {
      ({ rows: statements } = await sql.query(`select sum(calls) over () as all_calls, calls, round(total_exec_time)::int as total_ms,
        round(mean_exec_time::numeric, 3) as mean_ms, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query
        from pg_stat_statements order by calls desc limit 40`));
    }
    const cpu = { a: (processCpuMs(a.child.pid!) - cpuBefore.a) / 1000, b: (processCpuMs(b.child.pid!) - cpuBefore.b) / 1000, db: (database.cpuMs() - cpuBefore.db) / 1000 };
    const assignments = (await count()) - assignmentsBefore;
    const loadTo = os.loadavg()[0].toFixed(2);

    const violations = await assignmentViolations((text, params) => sql.query(text, params), workspaceId);
    const outOfOrder = await queueOrderViolations((text, params) => sql.query(text, params), workspaceId, queued);
    // The estimate's error, for conversations that queued in the window and got an agent in it.
    const { rows: served } = await sql.query(`select c.id, extract(epoch from min(a.created_at) - c.created_at) as waited
      from conversation c join assignment a on a.workspace_id = c.workspace_id and a.conversation_id = c.id
      where c.workspace_id = $1 and c.id = any($2::uuid[]) group by c.id, c.created_at`, [workspaceId, queued.map((q) => q.id)]);
    const errors: number[] = [];
    const actual: number[] = [];
    let withoutEstimate = 0;
    for (const row of served) {
      const estimate = estimates.get(row.id);
      actual.push(Number(row.waited) * 1000);
      if (estimate === null || estimate === undefined) withoutEstimate += 1;
      else errors.push(Math.abs(estimate - Number(row.waited)) * 1000);
    }

    const perS = assignments / seconds;
    console.log(`window: ${seconds.toFixed(1)} s; assignments ${assignments} (${perS.toFixed(0)}/s); new conversations ${tally.starts} (${(tally.starts / seconds).toFixed(0)}/s), continued ${tally.continued}; closes ${tally.closes} (${(tally.closes / seconds).toFixed(0)}/s), already closed ${tally.closedAlready}`);
    console.log(`latency ms: start ${JSON.stringify(summary(tally.startMs))}; close ${JSON.stringify(summary(tally.closeMs))}`);
    console.log(`CPU s in the window: A ${cpu.a.toFixed(1)}, B ${cpu.b.toFixed(1)}, PostgreSQL ${cpu.db.toFixed(1)} (of ${(seconds * os.cpus().length).toFixed(0)} core-seconds); per assignment ${(((cpu.a + cpu.b + cpu.db) * 1000) / assignments).toFixed(1)} ms`);
    const samples = Object.entries(waits).sort((x, y) => y[1] - x[1]).map(([what, n]) => `${what} ${n}`).join(', ');
    console.log(`backends sampled every 100 ms (state, wait): ${samples}`);
    console.log(`invariants: ${violationCount(violations)} violations ${JSON.stringify(violations).slice(0, 2000)}; queue order: ${outOfOrder.length} out of order`);
    console.log(`estimated wait: ${queued.length} queued, ${served.length} got an agent in the window, ${withoutEstimate} without an estimate; actual wait ms ${JSON.stringify(summary(actual))}; |estimate − actual| ms ${JSON.stringify(summary(errors))}`);
    const date = new Date().toISOString().slice(0, 10);
    console.log(`\n| date | commit | machine | load avg (1 min) | agents, groups, capacity | assignments/s | starts/s | closes/s | violations | queued: |error| p50 / p95 s (actual wait p50 s) |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
    const s = (ms: string) => (ms === '–' ? '–' : (Number(ms) / 1000).toFixed(1));
    console.log(`| ${date} | ${commit} | ${machine()} | ${loadFrom} → ${loadTo} | ${AGENTS}, ${GROUPS}, ${CAPACITY} | ${perS.toFixed(0)} | ${(tally.starts / seconds).toFixed(0)} | ${(tally.closes / seconds).toFixed(0)} | ${violationCount(violations) + outOfOrder.length} | ${errors.length}: ${s(summary(errors).p50)} / ${s(summary(errors).p95)} (${s(summary(actual).p50)}) |`);

    if (FLOOR_SECONDS > 0) {
      // The floor: the least a write request costs on this stack here. conversationMarkRead of a message already read
      // is a transaction (BEGIN, the conversation locked, COMMIT) that changes nothing and writes no event.
      // Each caller its own conversation: one row locked by all would measure the wait for that lock instead.
      const callers = STARTERS + CLOSERS;
      const { rows: picked } = await sql.query(`select id from conversation where workspace_id = $1 limit $2`, [workspaceId, callers]);
      const MARK = `mutation($input: ConversationMarkReadInput!) { conversationMarkRead(input: $input) { userErrors { code } } }`;
      const inputs = picked.map((row) => ({ id: toGlobalId('Conversation', row.id), seq: 1 }));
      for (const input of inputs) await graphql(a.url, MARK, { input }, token);
      const before = { a: processCpuMs(a.child.pid!), b: processCpuMs(b.child.pid!), db: database.cpuMs() };
      const floorEnd = Date.now() + FLOOR_SECONDS * 1000;
      const floorStart = Date.now();
      let requests = 0;
      await Promise.all(inputs.map(async (input, i) => {
        while (Date.now() < floorEnd) {
          await graphql(urls[i % 2], MARK, { input }, token);
          requests += 1;
        }
      }));
      const floorSeconds = (Date.now() - floorStart) / 1000;
      const used = (processCpuMs(a.child.pid!) - before.a + processCpuMs(b.child.pid!) - before.b + database.cpuMs() - before.db) / 1000;
      console.log(`floor (conversationMarkRead that changes nothing, ${inputs.length} callers, each on its own conversation, ${floorSeconds.toFixed(1)} s): ${(requests / floorSeconds).toFixed(0)} requests/s; CPU A + B + PostgreSQL ${used.toFixed(1)} s, ${((used * 1000) / requests).toFixed(2)} ms per request`);
    }
  } finally {
    await a.stop();
    await b.stop();
    await sql.end();
    await database.stop();
  }
  if (PROFILE_DIR && profileWindow) {
    console.log(`\nPostgreSQL's statements in the window (pg_stat_statements): ${statements[0]?.all_calls} in all; the 40 most called:`);
    for (const row of statements) console.log(`${row.calls}\t${row.total_ms} ms\t${row.mean_ms} ms\t${row.rows} rows\t${row.query}`);
    console.log(`\nA's CPU profile in the window (${path.join(PROFILE_DIR, 'assignments-a.cpuprofile')}):\n`);
    printSummary(summarizeProfile(path.join(PROFILE_DIR, 'assignments-a.cpuprofile'), profileWindow));
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
