import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { summarizeProfile, printSummary } from './profile-summary';
import { benchDatabase, graphql, processCpuMs, startProcess } from './support';

/**
 * `npm run bench`: what one request costs on our server beside a bare Apollo Server answering a constant, in one run
 * on one machine. Each variant is driven by autocannon over loopback (20 connections); the variants take turns in
 * rounds (ROUNDS × SECONDS each) so that the machine's drift hits all alike, and the ratio to the bare server is taken
 * round by round. Our server and the bare one each run in their own process. Our server has served writes before
 * anything is measured, as every production server has (MikroORM's first transaction changes what every later
 * request pays). Prints a Markdown table for bench/RESULTS.md.
 *
 * BENCH_PROFILE=<dir>: instead, CPU-profile the server (`node --cpu-prof`) under each profiled variant, one server
 * process per variant, and print the self time by layer (bench/profile-summary.ts); BENCH_PROFILE_ONLY=<text> profiles
 * only the variants whose name contains it.
 *
 * BENCH_ONLY=<text>,<text>: run only the variants whose name contains one of these (the bare server always runs, as
 * the ratios are taken to it), e.g. BENCH_ONLY=workbench for a short run of the one variant being worked on.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const PROFILE_DIR = process.env.BENCH_PROFILE;
const PROFILE_SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? 8);

const SERVER_ENV = {
  NODE_ENV: 'production', APP_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'info',
  // One client sends the whole load: a budget it cannot exhaust, so the figures measure serving, not refusing.
  RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000',
};

/** What the agent workbench shows of one customer, as one query. */
const WORKBENCH_READ = `query($id: ID!) { customer(id: $id) { id customerNo name phone
  tags { id name group }
  orders(first: 5) { nodes { id orderNo status placedAt totalAmount { amount currency } } }
  followUps(first: 5) { nodes { id method content happenedAt nextFollowUpOn } } } }`;

interface Variant {
  name: string;
  /** Sent to the bare server instead of ours. */
  bare?: boolean;
  query: string;
  variables?: Record<string, unknown>;
  authenticated?: boolean;
  profiled?: boolean;
  /** Issue 8's targets: at least this ratio to bare, at most this p99 over bare's, at most this many SQL statements. */
  target?: { ratio?: number; p99OverBare?: number; sql?: number };
}

function variants(customerId: string): Variant[] {
  const only = process.env.BENCH_ONLY?.split(',').map((part) => part.trim()).filter(Boolean);
  return allVariants(customerId).filter((v) => v.bare || !only?.length || only.some((part) => v.name.includes(part)));
}

function allVariants(customerId: string): Variant[] {
  return [
    { name: 'bare Apollo constant `{ hello }`', bare: true, query: '{ hello }' },
    { name: 'anonymous `{ __typename }`', query: '{ __typename }', profiled: true },
    { name: 'authenticated `{ __typename }`', query: '{ __typename }', authenticated: true, profiled: true, target: { ratio: 0.7 } },
    { name: 'authenticated `{ me { id email } }`', query: '{ me { id email } }', authenticated: true, profiled: true, target: { ratio: 0.6, p99OverBare: 2 } },
    { name: '`me` with `workspace { name }`', query: '{ me { id email displayName role workspace { name } } }', authenticated: true },
    { name: 'workbench read (customer, 5 orders, tags, follow-ups)', query: WORKBENCH_READ, variables: { id: customerId }, authenticated: true, profiled: true, target: { ratio: 0.3, sql: 3 } },
  ];
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  cpuMs: number;
  databaseCpuMs: number;
}

async function load(url: string, variant: Variant, token: string, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...(variant.authenticated ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: variant.query, variables: variant.variables ?? {} }),
  });
  if (result.non2xx || result.errors || result.timeouts) {
    throw new Error(`${variant.name}: ${result.non2xx} non-2xx responses, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return result;
}

/** One measured window: req/s and latency from autocannon, CPU of the serving process from /proc. */
async function measure(url: string, pid: number, databaseCpuMs: () => number, variant: Variant, token: string): Promise<Sample> {
  const cpuBefore = processCpuMs(pid);
  const databaseBefore = databaseCpuMs();
  const result = await load(url, variant, token, SECONDS);
  const cpuMs = processCpuMs(pid) - cpuBefore;
  return {
    rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, cpuMs,
    databaseCpuMs: databaseCpuMs() - databaseBefore,
  };
}

/** A workspace, its owner's token and one customer with 5 orders, 2 tags and 3 follow-ups (all writes). */
async function seed(url: string): Promise<{ token: string; customerId: string }> {
  const signedUp = await graphql(url, `mutation { signUp(input: { workspaceName: "压测小店", email: "bench@shop.example", password: "bench-password", displayName: "压测" }) { token } }`);
  const token: string = signedUp.signUp.token;
  const checked = (payload: { userErrors?: unknown[] }) => {
    if (payload.userErrors?.length) throw new Error(JSON.stringify(payload.userErrors));
    return payload as any;
  };
  const customer = checked((await graphql(url, `mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } userErrors { code message } } }`,
    { input: { name: '王小明', phone: '13800138000', externalIds: [{ platform: 'taobao', value: 'bench-buyer' }] } }, token)).customerCreate).customer;
  for (let i = 0; i < 5; i++) {
    checked((await graphql(url, `mutation($input: OrderInput!) { orderUpsert(input: $input) { userErrors { code message } } }`, {
      input: {
        platform: 'taobao', externalId: `bench-order-${i}`, customerId: customer.id, status: 'COMPLETED', totalAmount: `${100 + i}.00`,
        placedAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
        items: [{ sku: `SKU-${i}`, title: '婴儿纸尿裤', category: '母婴', brand: '好奇', quantity: 1, unitPrice: `${100 + i}.00` }],
      },
    }, token)).orderUpsert);
  }
  const tagIds = [];
  for (const name of ['老客', '高价值']) {
    tagIds.push(checked((await graphql(url, `mutation($input: TagCreateInput!) { tagCreate(input: $input) { tag { id } userErrors { code message } } }`,
      { input: { name, group: 'CONSUMPTION' } }, token)).tagCreate).tag.id);
  }
  checked((await graphql(url, `mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code message } } }`,
    { input: { customerIds: [customer.id], tagIds } }, token)).customerTagsAdd);
  for (let i = 0; i < 3; i++) {
    checked((await graphql(url, `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { userErrors { code message } } }`,
      { input: { customerId: customer.id, method: 'PHONE', content: `回访 ${i}`, happenedAt: new Date(Date.UTC(2026, 1, 1 + i)).toISOString() } }, token)).followUpCreate);
  }
  return { token, customerId: customer.id };
}

/** A write on a server that is about to be measured: a production server has served writes. */
async function write(url: string, token: string, label: string): Promise<void> {
  const result = await graphql(url, `mutation($input: TagCreateInput!) { tagCreate(input: $input) { userErrors { code message } } }`,
    { input: { name: `预热 ${label.slice(0, 20)} ${Date.now()}`, group: 'CONSUMPTION' } }, token);
  if (result.tagCreate.userErrors.length) throw new Error(JSON.stringify(result.tagCreate.userErrors));
}

/**
 * SQL statements per request of each variant, from a server with EXPOSE_SQL_COUNT (`extensions.sqlStatements`).
 * Counted on a server of its own: the counter runs each request in an AsyncLocalStorage, which would change what the
 * measured server pays. Each query is sent three times and the last count kept (caches warm, as under load).
 */
async function countSql(databaseUrl: string, list: Variant[], token: string): Promise<Map<string, number | undefined>> {
  const counting = await startProcess('src/main.js', { ...SERVER_ENV, DATABASE_URL: databaseUrl, EXPOSE_SQL_COUNT: 'true', LOG_LEVEL: 'warn' });
  counting.child.stdout!.resume();
  const counts = new Map<string, number | undefined>();
  try {
    for (const variant of list.filter((v) => !v.bare)) {
      let statements: number | undefined;
      for (let i = 0; i < 3; i++) {
        const response = await fetch(counting.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(variant.authenticated ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query: variant.query, variables: variant.variables ?? {} }),
        });
        const body = (await response.json()) as { errors?: unknown; extensions?: { sqlStatements?: number } };
        if (body.errors) throw new Error(`${variant.name}: ${JSON.stringify(body.errors)}`);
        statements = body.extensions?.sqlStatements;
      }
      counts.set(variant.name, statements);
    }
  } finally {
    await counting.stop();
  }
  return counts;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function describeRun(): string {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  let commit = 'unknown commit';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  const machine = `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}`;
  return `${date} UTC, commit ${commit}, ${machine}, load average ${os.loadavg()[0].toFixed(2)}`;
}

async function benchmark(database: { url: string; cpuMs(): number }, token: string, list: Variant[]) {
  const sql = await countSql(database.url, list, token);
  const ours = await startProcess('src/main.js', { ...SERVER_ENV, DATABASE_URL: database.url });
  const bare = await startProcess('bench/bare-apollo.js', {});
  // Our server logs one JSON line per request; send it nowhere so the terminal does not set the pace.
  ours.child.stdout!.resume();
  bare.child.stdout!.resume();
  const startedAt = describeRun();
  try {
    await write(ours.url, token, 'measured');
    const target = (v: Variant) => (v.bare ? { url: bare.url, pid: bare.child.pid! } : { url: ours.url, pid: ours.child.pid! });
    for (const variant of list) await load(target(variant).url, variant, token, 1); // warm-up: JIT, pools, caches
    const samples = new Map<string, Sample[]>(list.map((v) => [v.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of list) {
        const { url, pid } = target(variant);
        samples.get(variant.name)!.push(await measure(url, pid, () => database.cpuMs(), variant, token));
      }
    }
    const bareSamples = samples.get(list.find((v) => v.bare)!.name)!;
    const bareP99 = median(bareSamples.map((s) => s.p99));
    console.log(`\n${startedAt} → load average ${os.loadavg()[0].toFixed(2)} at the end; ${ROUNDS} rounds × ${SECONDS} s per variant, ${CONNECTIONS} connections\n`);
    console.log('| variant | req/s | ratio to bare | p50 ms | p99 ms | p99 / bare p99 | server CPU ms/request | PostgreSQL CPU ms/request | SQL statements/request |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const verdicts: string[] = [];
    for (const variant of list) {
      const runs = samples.get(variant.name)!;
      const ratio = median(runs.map((s, round) => s.rps / bareSamples[round].rps));
      const p99 = median(runs.map((s) => s.p99));
      const requests = runs.reduce((sum, s) => sum + s.requests, 0);
      const cpu = runs.reduce((sum, s) => sum + s.cpuMs, 0) / requests;
      const databaseCpu = variant.bare ? '–' : (runs.reduce((sum, s) => sum + s.databaseCpuMs, 0) / requests).toFixed(3);
      const statements = variant.bare ? '–' : String(sql.get(variant.name) ?? '?');
      console.log(`| ${variant.name} | ${median(runs.map((s) => s.rps)).toFixed(0)} (${runs.map((s) => s.rps.toFixed(0)).join(', ')}) | ${ratio.toFixed(2)} | ${median(runs.map((s) => s.p50))} | ${p99} | ${(p99 / bareP99).toFixed(1)} | ${cpu.toFixed(3)} | ${databaseCpu} | ${statements} |`);
      const { ratio: minRatio, p99OverBare, sql: maxSql } = variant.target ?? {};
      const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
      if (minRatio !== undefined) verdicts.push(`- ${variant.name}: ratio ${ratio.toFixed(2)}, target ≥ ${minRatio}: ${verdict(ratio >= minRatio)}`);
      if (p99OverBare !== undefined) verdicts.push(`- ${variant.name}: p99 ${(p99 / bareP99).toFixed(1)}× bare's, target ≤ ${p99OverBare}×: ${verdict(p99 / bareP99 <= p99OverBare)}`);
      const counted = sql.get(variant.name);
      if (maxSql !== undefined) verdicts.push(`- ${variant.name}: ${counted ?? '?'} SQL statements, target ≤ ${maxSql}: ${verdict(counted !== undefined && counted <= maxSql)}`);
    }
    console.log('\nreq/s: median of the rounds (each round in brackets); ratio: median of the round-by-round ratios; CPU: user + system time of the serving process, and of PostgreSQL\'s processes, over all rounds, per request.');
    console.log(`\nIssue 8's targets (a benchmark, not a test: the ratios move ±15 % between runs on a shared machine):\n${verdicts.join('\n')}`);
  } finally {
    await ours.stop();
    await bare.stop();
  }
}

/** One server process per profiled variant, started with --cpu-prof; the summary covers the measured window only. */
async function profile(databaseUrl: string, token: string, list: Variant[], dir: string) {
  mkdirSync(dir, { recursive: true });
  console.log(`\nCPU profiles, ${describeRun()}; ${PROFILE_SECONDS} s of load per variant, ${CONNECTIONS} connections`);
  const only = process.env.BENCH_PROFILE_ONLY; // e.g. "workbench": profile only the variants whose name holds it
  for (const [index, variant] of list.filter((v) => v.profiled).entries()) {
    if (only && !variant.name.includes(only)) continue;
    const name = `${index + 1}-${variant.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}`;
    const server = await startProcess('src/main.js', { ...SERVER_ENV, DATABASE_URL: databaseUrl }, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`]);
    server.child.stdout!.resume();
    let window: { startUs: number; endUs: number; requests: number };
    try {
      await write(server.url, token, name);
      await load(server.url, variant, token, 2);
      // V8 stamps profile samples with the monotonic clock in µs, the clock process.hrtime reads in every process.
      const startUs = Number(process.hrtime.bigint() / 1000n);
      const result = await load(server.url, variant, token, PROFILE_SECONDS);
      window = { startUs, endUs: Number(process.hrtime.bigint() / 1000n), requests: result.requests.total };
    } finally {
      await server.stop();
    }
    const file = path.join(dir, `${name}.cpuprofile`);
    writeFileSync(path.join(dir, `${name}.window.json`), JSON.stringify(window));
    console.log(`\n### ${variant.name} (${(window.requests / PROFILE_SECONDS).toFixed(0)} req/s under the profiler; ${file})\n`);
    printSummary(summarizeProfile(file, window));
  }
}

async function main() {
  const database = await benchDatabase();
  try {
    // The seed is written through a server of its own, which also applies the migrations.
    const seeding = await startProcess('src/main.js', { ...SERVER_ENV, DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
    seeding.child.stdout!.resume();
    let seeded;
    try {
      seeded = await seed(seeding.url);
    } finally {
      await seeding.stop();
    }
    const list = variants(seeded.customerId);
    if (PROFILE_DIR) await profile(database.url, seeded.token, list, path.resolve(PROFILE_DIR));
    else await benchmark(database, seeded.token, list);
  } finally {
    await database.stop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
