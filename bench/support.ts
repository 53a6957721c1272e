import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded-postgres';

/** A throw-away PostgreSQL for a benchmark run; `cpuMs()` is the CPU its processes have used so far. */
export async function benchDatabase(settings?: Record<string, string>): Promise<EmbeddedPostgres & { cpuMs(): number }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-bench-'));
  const database = await startEmbeddedPostgres({ dataDir, ephemeral: true, settings });
  const postmaster = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { ...database, cpuMs: () => postgresCpuMs(postmaster) };
}

/**
 * CPU of the postmaster and its children (a backend per connection, the background workers) so far. A connection
 * closed between two readings takes its CPU with it: measure while the pools stay open.
 */
function postgresCpuMs(postmaster: number): number {
  let total = processCpuMs(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) total += processCpuMs(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/**
 * Starts a compiled entry point (dist/…) as its own process on a free loopback port; resolves when it listens.
 * `nodeArgs` go before the script (e.g. `--cpu-prof`).
 */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, '..', script)], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      await fetch(url.replace('/graphql', '/healthz'));
      const probe = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{__typename}"}' });
      if (probe.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${script} did not start`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function graphql(url: string, query: string, variables: object = {}, token?: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat (Linux). */
export function processCpuMs(pid: number): number {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime and stime, fields 14 and 15 of the whole line
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`); /proc reports CPU time in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Count, p50, p95, p99 and max of some milliseconds, to one decimal. */
export function summary(values: number[]) {
  if (!values.length) return { n: 0, p50: '–', p95: '–', p99: '–', max: '–' };
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1);
  return { n: sorted.length, p50: f(percentile(sorted, 50)), p95: f(percentile(sorted, 95)), p99: f(percentile(sorted, 99)), max: f(sorted[sorted.length - 1]) };
}

/** Cores, CPU model, memory and Node version, for the results' rows. */
export function machine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} cores, ${model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}`;
}

/** The load averages (1, 5, 15 min). */
export const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/**
 * A two-instance benchmark's database: a fresh durable cluster in a temporary folder with commit timestamps on (to
 * measure from commit), and a small pool for the benchmark's own queries. `tearDown` ends the run: the server
 * instances first (they hold connections to the cluster), then the pool, the cluster, and its folder.
 */
export async function commitTimestampCluster(): Promise<{
  database: EmbeddedPostgres;
  sql: pg.Pool;
  tearDown(instances: Array<{ stop(): Promise<void> }>): Promise<void>;
}> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-bench-'));
  // track_commit_timestamp takes effect only at server start: the cluster is started, configured and started again.
  const first = await startEmbeddedPostgres({ dataDir });
  const client = new pg.Client({ connectionString: first.url });
  await client.connect();
  await client.query(`alter system set track_commit_timestamp = on`);
  await client.end();
  await first.stop();
  const database = await startEmbeddedPostgres({ dataDir });
  const sql = new pg.Pool({ connectionString: database.url, max: 2 });
  sql.on('error', () => undefined); // the cluster's shutdown at the end can reach a connection the pool is still closing
  return {
    database,
    sql,
    async tearDown(instances) {
      for (const instance of instances) await instance.stop();
      await sql.end();
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A reader sees an event only once every transaction with a lower id has ended (the log's visibility rule). Of the
 * transactions that wrote the events at these positions: which committed while such an older transaction was still
 * running, how long after them that one ended (`waited`, ms), and whether it wrote no event itself (`silent`: its
 * commit NOTIFYs nobody, so readers find the held-back events by their recheck or timer). Needs commit timestamps.
 */
export async function heldBackTransactions(sql: pg.Pool, positions: string[]): Promise<Array<{ waited: number; silent: boolean }>> {
  const { rows } = await sql.query(
    `with e as (
       select distinct transaction_id::text::bigint as x, pg_xact_commit_timestamp(transaction_id::xid) as c
       from domain_event where position = any($1::bigint[])),
     older as (
       select e.x, y, pg_xact_commit_timestamp(y::text::xid) as c from e, generate_series(greatest(3, e.x - 500), e.x - 1) y)
     select distinct on (e.x) extract(epoch from older.c - e.c) * 1000 as waited,
            not exists (select 1 from domain_event d where d.transaction_id = older.y::text::xid8) as silent
     from e join older on older.x = e.x and older.c > e.c
     order by e.x, older.c desc`, [positions],
  );
  return rows.map((row) => ({ waited: Number(row.waited), silent: row.silent }));
}
