import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgresInUseError, startEmbeddedPostgres } from '../src/db/embedded-postgres';

/** The launcher behind `npm start` without DATABASE_URL: persistent data, one user at a time, orphans cleaned. */
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-launcher-'));

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

it('keeps data across restarts, refuses a second live user, and recovers from a killed server', async () => {
  const first = await startEmbeddedPostgres({ dataDir });
  await query(first.url, 'create table kept (value text); insert into kept values (\'小鹿\')');

  // another live server (here: our parent process) holds the folder: refused, the running cluster untouched
  writeFileSync(path.join(dataDir, 'server.pid'), String(process.ppid));
  await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(EmbeddedPostgresInUseError);
  expect(await query(first.url, 'select value from kept')).toEqual([{ value: '小鹿' }]);

  // the server that started postgres was killed (its pid is gone) and postgres is orphaned: the next start stops it
  const dead = spawnSync('true').pid!;
  writeFileSync(path.join(dataDir, 'server.pid'), String(dead));
  const orphanPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const second = await startEmbeddedPostgres({ dataDir });
  try {
    expect(() => process.kill(orphanPid, 0)).toThrow();
    expect(await query(second.url, 'select value from kept')).toEqual([{ value: '小鹿' }]);
  } finally {
    await second.stop();
  }
  await first.stop(); // already gone: a no-op

  // after a reboot the stale postmaster.pid may name a live process that is not postgres (here: this test)
  writeFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), `${process.pid}\n${path.join(dataDir, 'postgres')}\n`);
  const third = await startEmbeddedPostgres({ dataDir });
  try {
    expect(await query(third.url, 'select value from kept')).toEqual([{ value: '小鹿' }]);
  } finally {
    await third.stop();
  }
});
