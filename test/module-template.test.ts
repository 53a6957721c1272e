import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { generateModule, nameProblem, registerMigration } from '../scripts/module-new';
import { createTestDatabase } from './support/database';

/**
 * `npm run module:new` (scripts/module-new.ts): refuses names it cannot use, and what it writes is a module that
 * compiles, registers and passes its own end-to-end test and the project's checks. The generator runs into a copy
 * of the project (the checkout is never touched). The steps the CLI runs through npm, each after a full build
 * (about a minute), run here without it: the type check through TypeScript's API on the generated files,
 * migration:create through swc against a database of the test PostgreSQL, schema:write's printing through swc, and
 * the generated test with the checks in a Jest of its own in the copy. About 50 s on two cores.
 */
const ROOT = path.resolve(__dirname, '..');
/** The project's checks every module is held to, run on the copy with the generated module in it. */
const CHECKS = ['test/import-boundaries.test.ts', 'test/schema.test.ts', 'test/citus-readiness.test.ts'];
const PRINT_SCHEMA = `require('reflect-metadata');
  const { buildAppSchema, schemaSdl } = require('./src/server/schema');
  const { createRegistry } = require('./src/kernel/registry');
  process.stdout.write(schemaSdl(buildAppSchema(createRegistry(require('./modules').featureModules))));`;

describe('module names', () => {
  it.each([
    [undefined, 'Give the module a name: npm run module:new <name> [Entity]'],
    ['Loyalty', '"Loyalty" is not a module name: use lower-case letters only (e.g. loyalty)'],
    ['after-sales', '"after-sales" is not a module name: use lower-case letters only (e.g. loyalty)'],
    ['index', '"index" is not a module name: modules/index.ts is the list of modules'],
    ['webhooks', '"webhooks" is taken by the platform module webhooks (its name or its permissions\' prefix)'],
    ['users', '"users" is taken by the platform module identity (its name or its permissions\' prefix)'],
    ['customers', 'modules/customers exists already'],
  ])('refuses %p', (name, message) => {
    expect(nameProblem(ROOT, name)).toBe(message);
  });

  it('refuses an entity name that is not PascalCase or whose names the server has, and takes a new lower-case name', () => {
    expect(nameProblem(ROOT, 'loyalty', 'loyalty_account')).toBe('"loyalty_account" is not an entity name: use PascalCase letters (e.g. LoyaltyAccount)');
    expect(nameProblem(ROOT, 'order')).toBe('Taken already: the entity OrderItem, the GraphQL type OrderItem; name the entity, e.g. npm run module:new order OrderRecord');
    expect(nameProblem(ROOT, 'loyalty', 'Tag')).toMatch(/^Taken already: the entity Tag, the GraphQL type Tag, .*, the query tags, the mutation tagCreate;/);
    expect(nameProblem(ROOT, 'loyalty', 'LoyaltyAccount')).toBeUndefined();
    expect(nameProblem(ROOT, 'loyalty')).toBeUndefined();
  });
});

describe('a generated module', () => {
  let copy: string;
  let written: string[];

  beforeAll(() => {
    copy = mkdtempSync(path.join(os.tmpdir(), 'module-template-'));
    for (const entry of ['src', 'modules', 'migrations', 'scripts', 'test/support', ...CHECKS, 'README.md', 'tsconfig.json', 'jest.config.js', '.swcrc', 'package.json']) {
      cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    written = generateModule(copy, 'loyalty', 'LoyaltyAccount');
  });
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('has the files of a module and its test, and is added to the module list', () => {
    expect(written).toEqual([
      'modules/loyalty/README.md', 'modules/loyalty/entities/loyalty-account.ts', 'modules/loyalty/events.ts', 'modules/loyalty/graphql/args.ts',
      'modules/loyalty/graphql/inputs.ts', 'modules/loyalty/graphql/types.ts', 'modules/loyalty/index.ts', 'modules/loyalty/permissions.ts',
      'modules/loyalty/resolvers/loyalty-account.ts', 'modules/loyalty/services/loyalty-accounts.ts', 'test/loyalty.test.ts',
    ]);
    expect(readFileSync(path.join(copy, 'modules/index.ts'), 'utf8')).toMatch(
      /import \{ loyaltyModule \} from '\.\/loyalty';[\s\S]*featureModules: ModuleDefinition\[\] = \[\s*customersModule[^\]]*,\s*loyaltyModule,?\s*\];/,
    );
    const everything = written.map((file) => readFileSync(path.join(copy, file), 'utf8')).join('\n');
    expect(everything).not.toMatch(/__[a-zA-Z-]+__/);
    expect(readFileSync(path.join(copy, 'modules/loyalty/events.ts'), 'utf8')).toContain(`defineEvent('loyalty.loyaltyAccountCreated', { subjectType: 'LoyaltyAccount' })`);
    expect(nameProblem(copy, 'loyalty')).toBe('modules/loyalty exists already');
  });

  it('type-checks with the project\'s compiler options', () => {
    const { config } = ts.readConfigFile(path.join(copy, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, copy);
    const program = ts.createProgram([...written.filter((f) => f.endsWith('.ts')), 'modules/index.ts'].map((f) => path.join(copy, f)), { ...options, noEmit: true });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 120_000);

  it('gets a migration for its table and a schema, and passes its own end-to-end test and the project\'s checks', async () => {
    const database = await createTestDatabase();
    const swc = ['-r', './scripts/swc-register.js'];
    execFileSync(process.execPath, [...swc, 'scripts/migration-create.ts', 'Loyalty'], { cwd: copy, env: { ...process.env, DATABASE_URL: database.url }, stdio: 'pipe' });
    const [migration] = readdirSync(path.join(copy, 'migrations')).filter((f) => f.endsWith('_Loyalty.ts')).map((f) => f.replace(/\.ts$/, ''));
    expect(readFileSync(path.join(copy, 'migrations', `${migration}.ts`), 'utf8')).toContain('create table "loyalty_account"');
    registerMigration(copy, migration);

    // schema:write's work (scripts/write-schema.ts writes beside its build in dist/, so it is not run in the copy).
    const sdl = execFileSync(process.execPath, [...swc, '-e', PRINT_SCHEMA], { cwd: copy, stdio: 'pipe' }).toString();
    writeFileSync(path.join(copy, 'schema.graphql'), sdl);
    expect(sdl).toContain('loyaltyAccountCreate(');

    // The generated test and the project's own checks, in a Jest of the copy (with its own PostgreSQL), as
    // `npx jest test/loyalty.test.ts …` would run there.
    const files = ['test/loyalty.test.ts', ...CHECKS];
    const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
    let report: string;
    try {
      report = execFileSync(process.execPath, [jest, '--ci', '--json', ...files], { cwd: copy, stdio: 'pipe' }).toString();
    } catch (error) {
      throw new Error(`a test failed in the copy:\n${(error as { stderr: Buffer }).stderr}`);
    }
    const results = (JSON.parse(report).testResults as Array<{ name: string; status: string }>)
      .map((result) => [path.relative(copy, result.name), result.status]);
    expect(results.sort()).toEqual(files.map((file) => [file, 'passed']).sort());
    expect(existsSync(path.join(ROOT, 'modules', 'loyalty'))).toBe(false);
  }, 240_000);
});
