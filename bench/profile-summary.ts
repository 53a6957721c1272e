import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and attributes its self time to layers of the stack by the package path
 * of each frame, as in ../shared/perf-findings.md. Written here because the profile viewers show functions, not
 * packages. Frames without a file (V8 builtins and native code: JSON.stringify, socket writes) and Node's own
 * modules count for the nearest caller that belongs to a package, so `pg`'s socket writes are pg's; at the bottom of
 * a stack (the event loop, the HTTP parser) they are "Node core". Async-hook callbacks are their own layer wherever
 * they run.
 *
 * `node dist/bench/profile-summary.js <file.cpuprofile> […]` (several: one column each); a `<file>.window.json` beside
 * a profile ({ startUs, endUs }, monotonic µs, written by `BENCH_PROFILE=dir npm run bench`) keeps only the samples
 * taken under load.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Time of the window's samples that were not idle, ms (wall time: the sampler does not see the scheduler). */
  busyMs: number;
  layers: { layer: string; ms: number; share: number }[];
  /** The functions with the most self time, with their layer. */
  hottest: { name: string; layer: string; share: number }[];
}

const LAYERS: [string, RegExp][] = [
  ['MikroORM core', /node_modules\/@mikro-orm\/core\//],
  ['MikroORM knex/postgresql', /node_modules\/@mikro-orm\/(knex|postgresql)\//],
  ['knex (and its pool, tarn)', /node_modules\/(knex|tarn)\//],
  ['pg driver', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-[a-z]+)\//],
  ['Express, body-parser, router (with the HTTP response write)', /node_modules\/(express|body-parser|router|raw-body|iconv-lite|type-is|mime-types|content-type|on-finished|finalhandler|send|cors|qs|depd|http-errors|statuses|proxy-addr|forwarded|ipaddr\.js|accepts|negotiator|vary|cookie|etag|fresh|parseurl|encodeurl|escape-html|media-typer|debug|ms)\//],
  ['Apollo Server', /node_modules\/(@apollo|@as-integrations|@graphql-tools|lru-cache|whatwg-mimetype|negotiator|loglevel|uuid|value-or-promise)\//],
  ['graphql-js', /node_modules\/graphql\//],
  ['type-graphql', /node_modules\/(type-graphql|class-validator|reflect-metadata)\//],
  ['cost analysis (graphql-query-complexity, armor)', /node_modules\/(graphql-query-complexity|@escape\.tech)\//],
  ['pino', /node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|@pinojs|thread-stream|on-exit-leak-free|quick-format-unescaped|atomic-sleep|safe-stable-stringify|fast-safe-stringify)\//],
  ['DataLoader', /node_modules\/dataloader\//],
  ['other packages', /node_modules\//],
  ['our code (src/)', /\/dist\/src\//],
  ['our code (modules/)', /\/dist\/modules\//],
];

const ASYNC_HOOKS = /^node:(internal\/)?async_hooks$|^node:internal\/async_local_storage/;
const NODE_CORE = /^node:/;
const ASYNC_HOOKS_LAYER = 'async hooks (AsyncLocalStorage, promise hooks)';

function ownLayer(frame: ProfileNode['callFrame']): string | undefined {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(program)') return 'V8/native, unattributed ("(program)")';
  if (frame.functionName === '(idle)') return 'idle';
  if (ASYNC_HOOKS.test(frame.url)) return ASYNC_HOOKS_LAYER;
  if (!frame.url || NODE_CORE.test(frame.url)) return undefined; // the caller's layer
  return LAYERS.find(([, pattern]) => pattern.test(frame.url))?.[0] ?? 'other files';
}

export function summarizeProfile(file: string, window?: { startUs: number; endUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // The layer a frame passes on to the native and Node-core frames it calls: async-hook frames pass on their caller's
  // (AsyncResource.runInAsyncScope calls stream and timer callbacks that are not the hooks' own cost).
  const passedOn = new Map<number, string>();
  const inherited = (id: number | undefined): string => {
    if (id === undefined || byId.get(id)!.callFrame.functionName === '(root)') return 'Node core (HTTP parsing, timers, event loop)';
    const known = passedOn.get(id);
    if (known) return known;
    const own = ownLayer(byId.get(id)!.callFrame);
    const layer = own && own !== ASYNC_HOOKS_LAYER ? own : inherited(parent.get(id));
    passedOn.set(id, layer);
    return layer;
  };
  const resolve = (id: number): string => ownLayer(byId.get(id)!.callFrame) ?? inherited(parent.get(id));

  const layerMs = new Map<string, number>();
  const functionMs = new Map<string, { layer: string; ms: number }>();
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i];
    // A sample stands for the interval up to the next one.
    const duration = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (window && (time < window.startUs || time > window.endUs)) continue;
    const id = profile.samples[i];
    const layer = resolve(id);
    if (layer === 'idle') continue;
    layerMs.set(layer, (layerMs.get(layer) ?? 0) + duration);
    const frame = byId.get(id)!.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '')}:${frame.lineNumber + 1}`;
    const entry = functionMs.get(name) ?? { layer, ms: 0 };
    entry.ms += duration;
    functionMs.set(name, entry);
  }
  const busyMs = [...layerMs.values()].reduce((a, b) => a + b, 0);
  return {
    busyMs,
    layers: [...layerMs].map(([layer, ms]) => ({ layer, ms, share: ms / busyMs })).sort((a, b) => b.ms - a.ms),
    hottest: [...functionMs]
      .map(([name, { layer, ms }]) => ({ name, layer, share: ms / busyMs }))
      .sort((a, b) => b.share - a.share)
      .slice(0, 12),
  };
}

export function printSummary(summary: ProfileSummary): void {
  const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
  // Wall time of the samples that were not idle: on a contended machine more than the CPU the process got.
  console.log(`not idle for ${(summary.busyMs / 1000).toFixed(1)} s of the window\n`);
  console.log('| layer (self time) | share |');
  console.log('| --- | --- |');
  for (const { layer, share } of summary.layers) console.log(`| ${layer} | ${percent(share)} |`);
  console.log('\nhottest functions (self time):');
  for (const { name, layer, share } of summary.hottest) console.log(`- ${percent(share)} ${name} (${layer})`);
}

/** One table, a column per profile: the same layers side by side (before and after, or variant by variant). */
export function printComparison(columns: { title: string; summary: ProfileSummary }[]): void {
  const layers = [...new Set(columns.flatMap((c) => c.summary.layers.map((l) => l.layer)))];
  const share = (summary: ProfileSummary, layer: string) => summary.layers.find((l) => l.layer === layer)?.share ?? 0;
  layers.sort((a, b) => columns.reduce((sum, c) => sum + share(c.summary, b) - share(c.summary, a), 0));
  console.log(`| layer (self time) | ${columns.map((c) => c.title).join(' | ')} |`);
  console.log(`| --- |${columns.map(() => ' --- |').join('')}`);
  for (const layer of layers) console.log(`| ${layer} | ${columns.map((c) => `${(share(c.summary, layer) * 100).toFixed(1)} %`).join(' | ')} |`);
}

if (require.main === module) {
  // node dist/bench/profile-summary.js a.cpuprofile [b.cpuprofile …]: each with its a.window.json beside it if any
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [<file.cpuprofile> …]');
    process.exit(2);
  }
  const summaries = files.map((file) => {
    const windowFile = file.replace(/\.cpuprofile$/, '.window.json');
    const window = existsSync(windowFile) ? JSON.parse(readFileSync(windowFile, 'utf8')) : undefined;
    return { title: path.basename(file, '.cpuprofile'), summary: summarizeProfile(file, window) };
  });
  if (summaries.length === 1) printSummary(summaries[0].summary);
  else printComparison(summaries);
}
