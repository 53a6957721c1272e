import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  it('defaults to development with the embedded database, demo data and the playground', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ nodeEnv: 'development', port: 4000, databaseUrl: undefined, demoData: true, introspection: true, playground: true, jobWorkers: true });
  });

  it('in production requires DATABASE_URL and a long APP_SECRET, and turns off demo data, introspection and the playground', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('DATABASE_URL is required');
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' })).toThrow('APP_SECRET is required');
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', APP_SECRET: 'short' })).toThrow('APP_SECRET must be at least 32 characters');
    const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', APP_SECRET: 'x'.repeat(32) });
    expect(config).toMatchObject({ demoData: false, introspection: false, playground: false });
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', APP_SECRET: 'x'.repeat(32), GRAPHQL_PLAYGROUND: 'true' }).playground).toBe(true);
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ JOB_WORKERS: 'maybe' })).toThrow(new ConfigError('JOB_WORKERS', 'must be true or false, got "maybe"'));
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow('DATABASE_URL must be a postgres:// or postgresql:// URL');
    expect(() => loadConfig({ NODE_ENV: 'staging' })).toThrow('NODE_ENV must be development, production or test');
  });
});
