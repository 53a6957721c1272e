import autocannon from 'autocannon';
import { benchDatabase, graphql, startProcess } from './support';

/**
 * `npm run bench:hooks`: does a server pay more per request once it has written? A first server process signs up
 * and stops; a fresh one then serves authenticated `__typename` and `me { id email }` before any write and after one
 * (a tagCreate), rounds alternating. On Node 20 an AsyncLocalStorage entered once turns on promise hooks for the
 * whole process, which is what this measures (README, "Production notes"). NODE_OPTIONS passes through: run it with
 * another Node binary and `--experimental-async-context-frame` to compare.
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 20;

const SERVER_ENV = {
  NODE_ENV: 'production', APP_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'info', JOB_WORKERS: 'false',
  RATE_LIMIT_MAXIMUM: '1000000000', RATE_LIMIT_RESTORE_RATE: '1000000000',
};

async function rps(url: string, query: string, token: string): Promise<number> {
  const result = await autocannon({
    url, method: 'POST', connections: CONNECTIONS, duration: DURATION_S,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }),
  });
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return result.requests.average;
}

const QUERIES = { '__typename': '{ __typename }', 'me { id email }': '{ me { id email } }' };

async function measure(url: string, token: string): Promise<Record<string, number[]>> {
  const figures: Record<string, number[]> = Object.fromEntries(Object.keys(QUERIES).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, query] of Object.entries(QUERIES)) figures[name].push(await rps(url, query, token));
  }
  return figures;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const database = await benchDatabase();
  try {
    const env = { ...SERVER_ENV, DATABASE_URL: database.url };
    const seeder = await startProcess('src/main.js', env);
    seeder.child.stdout!.resume();
    const signedUp = await graphql(seeder.url, `mutation { signUp(input: { workspaceName: "钩子", email: "hooks@shop.example", password: "bench-password", displayName: "钩子" }) { token } }`);
    const token: string = signedUp.signUp.token;
    await seeder.stop();

    const server = await startProcess('src/main.js', env);
    server.child.stdout!.resume();
    try {
      await rps(server.url, '{ me { id email } }', token); // warm-up, reads only
      const before = await measure(server.url, token);
      const tag = await graphql(server.url, `mutation { tagCreate(input: { name: "写过", group: CONSUMPTION }) { userErrors { code } } }`, {}, token);
      if (tag.tagCreate.userErrors.length) throw new Error(JSON.stringify(tag.tagCreate.userErrors));
      const after = await measure(server.url, token);
      console.log(`\nNode ${process.version}${process.env.NODE_OPTIONS ? ` (${process.env.NODE_OPTIONS})` : ''}, ${CONNECTIONS} connections, ${ROUNDS} × ${DURATION_S} s, median req/s`);
      console.log('| query | before any write | after one write | after / before |');
      console.log('| --- | --- | --- | --- |');
      for (const name of Object.keys(QUERIES)) {
        const [b, a] = [median(before[name]), median(after[name])];
        console.log(`| authenticated \`${name}\` | ${b.toFixed(0)} | ${a.toFixed(0)} | ${(a / b).toFixed(2)} |`);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
