import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { verifyPassword } from '../../src/accounts/password.js';
import { loadConfigFile, parseConfig } from '../../src/app/config.js';
import { ConfigError, DEFAULT_CONFIG_PATH } from '../../src/config/load.js';
import { SAMPLE_CREDENTIALS } from '../../src/config/sample-credentials.js';
import { refusalOf } from '../support/config.js';
import { startStagepass } from '../support/stagepass.js';


describe('configuration', () => {
  it('an empty file gives safe defaults: port 3000, memory store, no clients, issuer on localhost', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ port: 3000, issuer: 'http://localhost:3000', clients: [], accounts: [] });
    expect(config.redisUrl).toBeUndefined();
    expect(config.deviceFlow).toEqual({ interval: 5, expiresIn: 600 });
  });

  it('limits, metrics and proxy trust default to safe values, and a partial limits section keeps the other defaults', () => {
    const config = parseConfig({ limits: { login: { maxFailuresPerAccount: 3 } } });
    expect(config.limits).toEqual({
      maxBodyBytes: 65_536,
      tokensPerSecond: {},
      failedGrantsPerSecondPerAddress: 10,
      registrationsPerMinutePerAddress: 10,
      deviceAuthorizationsPerMinutePerAddress: 60,
      factorChangesPerMinutePerAccount: 10,
      factorChangesPerMinutePerAddress: 30,
      unsignedAwsCallsPerMinutePerAddress: 60,
      login: { maxFailuresPerAccount: 3, maxFailuresPerIp: 20, lockoutSeconds: 60, maxLockoutSeconds: 3600 },
      userCodeEntry: { maxFailuresPerIp: 10, lockoutSeconds: 60, maxLockoutSeconds: 3600 },
    });
    expect(config).toMatchObject({ trustProxy: false, logLevel: 'info', redisCommandTimeoutMs: 2000, shutdownDrainSeconds: 5, shutdownGraceSeconds: 10, metrics: { enabled: true } });
  });

  it('PORT, ISSUER and REDIS_URL override the file', () => {
    const config = parseConfig({ port: 3000, redisUrl: 'redis://file:6379' }, { PORT: '4000', ISSUER: 'https://id.example.com', REDIS_URL: 'redis://env:6379' });
    expect(config).toMatchObject({ port: 4000, issuer: 'https://id.example.com', redisUrl: 'redis://env:6379' });
  });

  it('the issuer follows PORT when the file names none', () => {
    expect(parseConfig({}, { PORT: '4100' }).issuer).toBe('http://localhost:4100');
  });

  it.each(['eighty', '0x50', '80.5', '-1', '70000'])('PORT=%s is refused with a message naming PORT', (port) => {
    expect(() => parseConfig({}, { PORT: port })).toThrow(ConfigError);
    expect(() => parseConfig({}, { PORT: port })).toThrow(/PORT|port/);
  });

  it('an empty PORT, ISSUER or REDIS_URL counts as unset', () => {
    const config = parseConfig({ port: 3100 }, { PORT: '', ISSUER: '', REDIS_URL: '' });
    expect(config).toMatchObject({ port: 3100, issuer: 'http://localhost:3100' });
    expect(config.redisUrl).toBeUndefined();
  });

  it.each([
    [{ unknownKey: 1 }, 'unknownKey'],
    [{ port: 'eighty' }, 'port'],
    [{ port: 70000 }, 'port'],
    [{ issuer: 'not a url' }, 'issuer'],
    [{ redisUrl: 'http://localhost:6379' }, 'redisUrl'],
    [{ clients: [{ client_secret: 'x' }] }, 'clients.0.client_id'],
    [{ accounts: [{ sub: 'a', username: 'a', password: 'plaintext' }] }, 'accounts.0.password'],
    [{ registration: { initialAccessToken: 'short' } }, 'registration.initialAccessToken'],
    [{ deviceFlow: { interval: 0 } }, 'deviceFlow.interval'],
    [{ keys: { jwksFile: '' } }, 'keys.jwksFile'],
    [{ keys: { promoteAfterSeconds: 86_401 } }, 'keys.promoteAfterSeconds'],
    [{ keys: { promoteAfterSeconds: 119 } }, 'keys.promoteAfterSeconds'],
    [{ keys: { encryptionKeyFile: '' } }, 'keys.encryptionKeyFile'],
    [{ keys: { keySetFile: '' } }, 'keys.keySetFile'],
    [{ clients: [{ client_id: 'a' }, { client_id: 'a' }] }, 'clients.1.client_id'],
    [{ ivs: { publicKeyArn: 'arn:aws:ivs:us-west-2:1:stage/x', privateKeyFile: 'k.pem' } }, 'ivs.publicKeyArn'],
    [{ licenses: [{ arn: 'arn:aws:iam::123456789012:role/x' }] }, 'licenses.0.arn'],
    [{ video: { apiKey: 'abc', apiSecret: '0123456789abcdef' } }, 'video.apiKey'],
    [{ video: { apiKey: '123', apiSecret: '0123456789abcdef', tokenFormat: 'vonage' } }, 'video.tokenFormat'],
    [{ video: { apiKey: '123', apiSecret: '0123456789abcdef', applicationId: 'app-1' } }, 'video.applicationId'],
    [{ limits: { tokensPerSecond: { default: -1 } } }, 'limits.tokensPerSecond.default'],
    [{ limits: { login: { maxFailuresPerAccount: 0 } } }, 'limits.login.maxFailuresPerAccount'],
    [{ limits: { maxBodyBytes: 10 } }, 'limits.maxBodyBytes'],
    [{ metrics: { bearerToken: 'short' } }, 'metrics.bearerToken'],
    [{ trustProxy: 'yes' }, 'trustProxy'],
    [{ logLevel: 'verbose' }, 'logLevel'],
    [{ redisCommandTimeoutMs: 0 }, 'redisCommandTimeoutMs'],
    [{ redisSentinels: [{ host: 'sentinel-1', port: 26379 }] }, 'redisSentinelName'],
    [{ redisSentinels: [], redisSentinelName: 'mymaster' }, 'redisSentinels'],
    [{ redisSentinels: [{ host: 'sentinel-1' }], redisSentinelName: 'mymaster' }, 'redisSentinels.0.port'],
    [{ redisCluster: true, redisUrl: 'redis://seed:7000', redisKeyPrefix: '{stagepass}:' }, 'redisKeyPrefix'],
    [{ redisUrl: 'redis://seed:7000', redisClusterNodes: [{ host: 'seed-2', port: 7001 }] }, 'redisClusterNodes: names further seed nodes of a Redis Cluster'],
    [{ redisCluster: true, redisUrl: 'redis://seed:7000', redisClusterNodes: [{ host: 'seed-2' }] }, 'redisClusterNodes.0.port'],
    [{ licenses: [{ arn: 'arn:aws:license-manager:us-east-1:123456789012:' }] }, 'licenses.0.arn'],
    [{ groups: { hosts: { ivs_capabilities: ['ADMIN'] } } }, 'groups.hosts.ivs_capabilities.0'],
    [{ groups: { hosts: { stage_arns: ['*'] } } }, 'stage_arns'],
    [{ groups: { 'two words': {} } }, 'groups'],
    [{ accounts: [{ sub: 'a', username: 'a', password: '$scrypt$', groups: ['*'] }] }, 'accounts.0.groups.0'],
    [{ accounts: [{ sub: 'rings a \u0007 bell', username: 'a', password: '$scrypt$' }] }, 'accounts.0.sub: must not contain control characters'],
    [{ accounts: [{ sub: 'x'.repeat(256), username: 'a', password: '$scrypt$' }] }, 'accounts.0.sub: must be 1 to 255 characters'],
  ])('%j is refused with a message naming %s', (raw, field) => {
    expect(refusalOf(raw)).toContain(field);
  });

  it.each([
    ['http://localhost:3000/', 'http://localhost:3000'],
    ['https://id.example.com/auth', 'https://id.example.com'],
    ['https://id.example.com?tenant=1', 'https://id.example.com'],
    ['https://ID.example.com', 'https://id.example.com'],
  ])('issuer %s is refused, naming the origin it should be (%s)', (issuer, origin) => {
    const message = refusalOf({ issuer });
    expect(message).toContain('issuer');
    expect(message).toContain(`"${origin}"`);
    expect(() => parseConfig({}, { ISSUER: issuer })).toThrow(/issuer/);
  });

  it('the server listens on every IPv4 interface unless host names one; a host that is no address is refused', () => {
    expect(parseConfig({}).host).toBe('0.0.0.0');
    expect(parseConfig({ host: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(parseConfig({ host: '::' }).host).toBe('::');
    expect(refusalOf({ host: 'example.com' })).toContain('host: must be an IPv4 or IPv6 address, or localhost');
  });

  it('a keys.promoteAfterSeconds that would let a new key sign before every instance publishes it is refused, naming the minimum', () => {
    for (const promoteAfterSeconds of [0, 1, 60]) expect(refusalOf({ keys: { promoteAfterSeconds } })).toMatch(/keys\.promoteAfterSeconds.*120/);
    expect(parseConfig({ keys: { promoteAfterSeconds: 120 } }).keys.promoteAfterSeconds).toBe(120);
  });

  it('redisUrl and redisSentinels together are refused with a message naming both', () => {
    const message = refusalOf({ redisUrl: 'redis://localhost:6379', redisSentinels: [{ host: 'sentinel-1', port: 26379 }], redisSentinelName: 'mymaster' });
    expect(message).toContain('redisUrl');
    expect(message).toContain('redisSentinels');
  });

  it('sentinels alone are enough for cluster mode: its workers share state through the master they name', () => {
    const config = parseConfig({ cluster: true, redisSentinels: [{ host: 'sentinel-1', port: 26379 }], redisSentinelName: 'mymaster' }, {});
    expect(config).toMatchObject({ redisSentinels: [{ host: 'sentinel-1', port: 26379 }], redisSentinelName: 'mymaster' });
  });

  it('a missing file is refused with its path in the message', () => {
    expect(() => loadConfigFile('package-lock.json.missing', {})).toThrow(/package-lock\.json\.missing/);
  });

  it('a file that is not JSON is refused with its path in the message', () => {
    expect(() => loadConfigFile('README.md', {})).toThrow(ConfigError);
    expect(() => loadConfigFile('README.md', {})).toThrow(/README\.md.*JSON/);
  });

  it('the default configuration holds the sample credentials the server prints at start', async () => {
    const config = loadConfigFile(DEFAULT_CONFIG_PATH, {});
    const raw = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as { clients: { client_id: string; client_secret?: string }[] };
    const confidential = raw.clients.find((c) => c.client_id === SAMPLE_CREDENTIALS.confidentialClient.clientId);
    expect(confidential?.client_secret).toBe(SAMPLE_CREDENTIALS.confidentialClient.clientSecret);
    expect(raw.clients.some((c) => c.client_id === SAMPLE_CREDENTIALS.publicClient.clientId)).toBe(true);
    const account = config.accounts.find((a) => a.username === SAMPLE_CREDENTIALS.account.username);
    expect(await verifyPassword(SAMPLE_CREDENTIALS.account.password, account!.password)).toBe(true);
    const admin = config.clients.find((c) => c.client_id === SAMPLE_CREDENTIALS.adminClient.clientId);
    expect(admin).toMatchObject({ client_secret: SAMPLE_CREDENTIALS.adminClient.clientSecret, grant_types: ['client_credentials'], scope: 'stagepass:admin' });
  });
});

describe('minting policy in client metadata', () => {
  it.each([
    ['video_roles', ['publishr']],
    ['ivs_capabilities', ['publish']],
    ['license_arns', 'arn:aws:license-manager::123456789012:license:l-1'],
  ])('a misspelt %s stops the server from starting, naming the field', async (field, value) => {
    const client = { client_id: 'misconfigured', client_secret: 'misconfigured-secret-0123456789', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], [field]: value };
    await expect(startStagepass({ config: { clients: [client] } })).rejects.toThrow(new RegExp(`clients\\.0 \\(misconfigured\\).*${field}`));
  });
});

describe('clients of the configuration file', () => {
  it('a public client holding client_credentials stops the server from starting, naming the rule', async () => {
    const client = { client_id: 'public-machine', token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };
    await expect(startStagepass({ config: { clients: [client] } }))
      .rejects.toThrow(/clients\.0 \(public-machine\): grant_types may not include client_credentials for a public client \(token_endpoint_auth_method none\)/);
  });
});

describe('one rule, one message', () => {
  const upstreamProvider = (overrides: Record<string, unknown> = {}) => ({
    id: 'corp', name: 'Corp', issuer: 'https://login.corp.example', clientId: 'stagepass', clientSecret: 'secret', ...overrides,
  });
  const trustedIssuer = (overrides: Record<string, unknown> = {}) => ({ id: 'shop', issuer: 'https://login.shop.example', audience: 'stagepass', ...overrides });
  const messageAt = (raw: unknown, field: string) => refusalOf(raw).split('\n').find((line) => line.startsWith(`  - ${field}: `))?.slice(`  - ${field}: `.length);

  it('an http: issuer off loopback is refused in the same words for upstream providers and trusted issuers', () => {
    const upstream = messageAt({ upstreamProviders: [upstreamProvider({ issuer: 'http://login.corp.example' })] }, 'upstreamProviders.0.issuer');
    const trusted = messageAt({ trustedIssuers: [trustedIssuer({ issuer: 'http://login.shop.example' })] }, 'trustedIssuers.0.issuer');
    const jwks = messageAt({ trustedIssuers: [trustedIssuer({ jwksUri: 'http://login.shop.example/jwks' })] }, 'trustedIssuers.0.jwksUri');
    expect(upstream).toBe('must be an https: URL (http: only for localhost, 127.0.0.0/8 and [::1])');
    expect(trusted).toBe(upstream);
    expect(jwks).toBe(upstream);
  });

  it('an id outside [a-z0-9-]{1,32} is refused in the same words for upstream providers and trusted issuers', () => {
    const upstream = messageAt({ upstreamProviders: [upstreamProvider({ id: 'Corp' })] }, 'upstreamProviders.0.id');
    const trusted = messageAt({ trustedIssuers: [trustedIssuer({ id: 'Shop' })] }, 'trustedIssuers.0.id');
    expect(upstream).toBe('must be 1 to 32 lowercase letters, digits or dashes');
    expect(trusted).toBe(upstream);
  });

  it('a group map that maps to "*" is refused in the same words for upstream providers and trusted issuers', () => {
    const upstream = messageAt({ upstreamProviders: [upstreamProvider({ groupMap: { staff: '*' } })] }, 'upstreamProviders.0.groupMap.staff');
    const trusted = messageAt({ trustedIssuers: [trustedIssuer({ groupMap: { staff: '*' } })] }, 'trustedIssuers.0.groupMap.staff');
    expect(upstream).toBe('maps to a group a person can be put in, not "*"');
    expect(trusted).toBe(upstream);
  });

  it.each([
    [{ trustedIssuers: [trustedIssuer(), trustedIssuer({ issuer: 'https://login.other.example' })] }, 'trustedIssuers.1.id: duplicate value "shop"'],
    [{ trustedIssuers: [trustedIssuer(), trustedIssuer({ id: 'other' })] }, 'trustedIssuers.1.issuer: duplicate value "https://login.shop.example"'],
  ])('two trusted issuers sharing a value are refused as every other list is, naming the second (%j)', (raw, message) => {
    expect(refusalOf(raw)).toContain(message);
  });

  it('the account page\'s own client id is refused for a configured client, naming the field', () => {
    expect(messageAt({ clients: [{ client_id: 'stagepass-account' }] }, 'clients.0.client_id')).toBe('"stagepass-account" is the account page\'s own client; choose another id');
  });

  it('a duplicate is refused under the name of the file that holds it, as every other problem is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagepass-config-'));
    const path = join(dir, 'prod.json');
    try {
      writeFileSync(path, JSON.stringify({ clients: [{ client_id: 'a' }, { client_id: 'a' }] }));
      expect(() => loadConfigFile(path, {})).toThrow(`invalid ${path}:\n  - clients.1.client_id: duplicate value "a"`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
