import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { benchDatabase, graphql, startProcess } from './support';

/**
 * `npm run bench:hooks`: does a server pay more per request once it has written? On Node 20 an AsyncLocalStorage
 * entered once turns on promise hooks for the whole process (src/db/async-context.ts). Two server processes on one
 * database serve authenticated `__typename` and `me { id email }`, rounds alternating: one that has never written,
 * and one that has, measured with promise hooks off and on (switched by a signal, bench/promise-hooks-on.ts: "on" is
 * what every server that had written paid before that patch). NODE_OPTIONS passes through to the servers: run this
 * with another Node and `--experimental-async-context-frame` to compare. Linux only (CPU time from /proc).
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 20;

const QUERIES = { '__typename': '{ __typename }', 'me { id email }': '{ me { id email } }' };

/** CPU time (user + system) a process has used so far, in µs: /proc/PID/stat fields 14 and 15, in clock ticks of 10 ms. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * Requests per second, and the server's CPU per request: on a shared machine the second moves far less with the
 * other load than the first.
 */
async function load(url: string, pid: number, query: string, token: string, duration = DURATION_S): Promise<{ rps: number; cpu: number }> {
  const cpuBefore = cpuMicros(pid);
  const result = await autocannon({
    url, method: 'POST', connections: CONNECTIONS, duration,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }),
  });
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return { rps: result.requests.average, cpu: (cpuMicros(pid) - cpuBefore) / result.requests.total };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const database = await benchDatabase();
  const env = {
    NODE_ENV: 'production', APP_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'info', JOB_WORKERS: 'false',
    RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000', DATABASE_URL: database.url,
  };
  const servers: Array<{ name: string } & Awaited<ReturnType<typeof startProcess>>> = [];
  try {
    const written = await startProcess('src/main.js', { ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r ${path.join(__dirname, 'promise-hooks-on.js')}` });
    servers.push({ name: 'has written', ...written });
    const signedUp = await graphql(written.url, `mutation { signUp(input: { workspaceName: "钩子", email: "hooks@shop.example", password: "bench-password", displayName: "钩子" }) { token } }`);
    const token: string = signedUp.signUp.token;
    const tag = await graphql(written.url, `mutation { tagCreate(input: { name: "写过", group: CONSUMPTION }) { userErrors { code } } }`, {}, token);
    if (tag.tagCreate.userErrors.length) throw new Error(JSON.stringify(tag.tagCreate.userErrors));
    servers.unshift({ name: 'never written', ...(await startProcess('src/main.js', env)) });
    for (const server of servers) server.child.stdout!.resume(); // one log line per request, sent nowhere

    for (const server of servers) await load(server.url, server.child.pid!, QUERIES['me { id email }'], token, 2); // warm-up
    const variants = [
      { name: 'never written', server: servers[0], hooks: false },
      { name: 'has written', server: servers[1], hooks: false },
      { name: 'has written, promise hooks on', server: servers[1], hooks: true },
    ];
    const switchHooks = async () => {
      written.child.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 100));
    };
    const figures = new Map<string, Array<{ rps: number; cpu: number }>>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [query, text] of Object.entries(QUERIES)) {
        for (const variant of variants) {
          if (variant.hooks) await switchHooks();
          const key = `${query}|${variant.name}`;
          figures.set(key, [...(figures.get(key) ?? []), await load(variant.server.url, variant.server.child.pid!, text, token)]);
          if (variant.hooks) await switchHooks();
        }
      }
    }
    console.log(`\nNode ${process.version}${process.env.NODE_OPTIONS ? ` (${process.env.NODE_OPTIONS})` : ''}, ${CONNECTIONS} connections, medians of ${ROUNDS} × ${DURATION_S} s: req/s, server CPU µs per request (its ratio to the server that never wrote)`);
    console.log(`| query | ${variants.map((v) => v.name).join(' | ')} |`);
    console.log(`| --- |${variants.map(() => ' --- |').join('')}`);
    for (const query of Object.keys(QUERIES)) {
      const of = (server: string, metric: 'rps' | 'cpu') => median(figures.get(`${query}|${server}`)!.map((f) => f[metric]));
      const cells = variants.map((s) => `${of(s.name, 'rps').toFixed(0)}, ${of(s.name, 'cpu').toFixed(0)} µs (${(of(s.name, 'cpu') / of('never written', 'cpu')).toFixed(2)})`);
      console.log(`| authenticated \`${query}\` | ${cells.join(' | ')} |`);
    }
  } finally {
    for (const server of servers) await server.stop();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
