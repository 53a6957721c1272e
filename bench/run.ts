import os from 'node:os';
import autocannon from 'autocannon';
import { benchDatabase, graphql, startProcess } from './support';

/**
 * `npm run bench`: req/s and p99 of an authenticated `me` query on our server, beside a bare Apollo Server
 * answering a constant, in the same run on the same machine, each driven by autocannon over loopback.
 * Prints a Markdown table for bench/RESULTS.md.
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

async function load(url: string, query: string, token?: string) {
  // warm-up, then the measured run
  const options = {
    url,
    method: 'POST' as const,
    connections: CONNECTIONS,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  };
  await autocannon({ ...options, duration: 3 });
  const result = await autocannon({ ...options, duration: DURATION_S });
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99, p50: result.latency.p50 };
}

async function main() {
  const database = await benchDatabase();
  const ours = await startProcess('src/main.js', {
    NODE_ENV: 'production', DATABASE_URL: database.url, APP_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'info',
    // One client sends the whole load: a budget it cannot exhaust, so the figures measure serving, not refusing.
    RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000',
  });
  const bare = await startProcess('bench/bare-apollo.js', {});
  // Our server logs one JSON line per request; send it nowhere so the terminal does not set the pace.
  ours.child.stdout!.resume();
  bare.child.stdout!.resume();
  try {
    const signedUp = await graphql(ours.url, `mutation { signUp(input: { workspaceName: "压测小店", email: "bench@shop.example", password: "bench-password", displayName: "压测" }) { token } }`);
    const token = signedUp.signUp.token;
    const me = await load(ours.url, '{ me { id email displayName role workspace { name } } }', token);
    // the same pipeline and authentication without the two ORM loads of `me`: where the cost sits
    const pipeline = await load(ours.url, '{ __typename }', token);
    const baseline = await load(bare.url, '{ hello }');
    const date = new Date().toISOString().slice(0, 10);
    const machine = `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
    console.log(`\n| date | machine | operation | connections | req/s | p50 ms | p99 ms |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
    console.log(`| ${date} | ${machine} | authenticated \`me\` (our stack) | ${CONNECTIONS} | ${me.rps.toFixed(0)} | ${me.p50} | ${me.p99} |`);
    console.log(`| ${date} | ${machine} | authenticated \`__typename\` (our stack, no ORM load) | ${CONNECTIONS} | ${pipeline.rps.toFixed(0)} | ${pipeline.p50} | ${pipeline.p99} |`);
    console.log(`| ${date} | ${machine} | bare Apollo constant | ${CONNECTIONS} | ${baseline.rps.toFixed(0)} | ${baseline.p50} | ${baseline.p99} |`);
    console.log(`\nOur stack serves ${(me.rps / baseline.rps * 100).toFixed(0)} % of the bare server's req/s (ratio ${(baseline.rps / me.rps).toFixed(2)}×).`);
  } finally {
    await ours.stop();
    await bare.stop();
    await database.stop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
