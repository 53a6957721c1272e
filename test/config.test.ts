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

  it('reads CORS_ORIGINS as exact origins; localhost is allowed by default in development only', () => {
    expect(loadConfig({})).toMatchObject({ corsOrigins: [], corsAllowLocalhost: true });
    expect(loadConfig({ CORS_ORIGINS: ' https://app.example , http://localhost:5173,' })).toMatchObject({
      corsOrigins: ['https://app.example', 'http://localhost:5173'],
      corsAllowLocalhost: false,
    });
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', APP_SECRET: 'x'.repeat(32) };
    expect(loadConfig(production)).toMatchObject({ corsOrigins: [], corsAllowLocalhost: false });
    for (const bad of ['https://app.example/', 'https://app.example/path', 'app.example', '*', 'ftp://app.example', 'https://App.example', 'https://app.example:443']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(`CORS_ORIGINS must be a comma list of origins like https://app.example`);
    }
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ JOB_WORKERS: 'maybe' })).toThrow(new ConfigError('JOB_WORKERS', 'must be true or false, got "maybe"'));
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow('DATABASE_URL must be a postgres:// or postgresql:// URL');
    expect(() => loadConfig({ NODE_ENV: 'staging' })).toThrow('NODE_ENV must be development, production or test');
  });
});
