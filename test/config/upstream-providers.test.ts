import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/app/config.js';
import { refusalOf } from '../support/config.js';

const provider = (overrides: Record<string, unknown> = {}) => ({
  id: 'corp', name: 'Corp', issuer: 'https://login.corp.example', clientId: 'stagepass', clientSecret: 'secret', ...overrides,
});


describe('upstreamProviders configuration', () => {
  it('a provider gets the openid, email and profile scopes and the groups claim unless it names others, and is not trusted on emails', () => {
    const [parsed] = parseConfig({ upstreamProviders: [provider()] }).upstreamProviders;
    expect(parsed).toMatchObject({ scopes: ['openid', 'email', 'profile'], groupsClaim: 'groups', trustEmail: false });
    expect(parsed!.groupMap).toBeUndefined();
  });

  it.each(['http://localhost:4000', 'http://127.0.0.1:4000', 'http://127.8.9.10', 'http://[::1]:4000'])('an http: issuer on loopback (%s) is accepted', (issuer) => {
    expect(parseConfig({ upstreamProviders: [provider({ issuer })] }).upstreamProviders[0]!.issuer).toBe(issuer);
  });

  it.each(['http://login.corp.example', 'http://10.0.0.1', 'http://localhost.corp.example', 'http://127.0.0.1.nip.io'])('an http: issuer off loopback (%s) is refused', (issuer) => {
    expect(refusalOf({ upstreamProviders: [provider({ issuer })] })).toMatch(/upstreamProviders\.0\.issuer: must be an https: URL/);
  });

  it.each(['Corp', 'corp_sso', '', 'a'.repeat(33)])('an id outside [a-z0-9-]{1,32} (%j) is refused', (id) => {
    expect(refusalOf({ upstreamProviders: [provider({ id })] })).toMatch(/upstreamProviders\.0\.id: must be 1 to 32 lowercase letters, digits or dashes/);
  });

  it('two providers with one id are refused', () => {
    expect(refusalOf({ upstreamProviders: [provider(), provider({ name: 'Corp again' })] })).toMatch(/upstreamProviders\.1\.id: duplicate value "corp"/);
  });

  it('scopes without openid are refused', () => {
    expect(refusalOf({ upstreamProviders: [provider({ scopes: ['email'] })] })).toMatch(/upstreamProviders\.0\.scopes: must include openid/);
  });

  it('a local account whose subject looks like a provider\'s person is refused', () => {
    const message = refusalOf({
      upstreamProviders: [provider()],
      accounts: [{ sub: 'corp:alice', username: 'alice', password: 'scrypt$x' }],
    });
    expect(message).toMatch(/accounts\.0\.sub: must not start with "corp:"/);
  });
});

describe('the namespaces of upstream providers and trusted issuers', () => {
  const trustedIssuer = (overrides: Record<string, unknown> = {}) => ({ id: 'shop', issuer: 'https://login.shop.example', audience: 'stagepass', ...overrides });

  it('a trusted issuer with an upstream provider\'s id is refused: both would name their people corp:<sub>', () => {
    expect(refusalOf({ upstreamProviders: [provider()], trustedIssuers: [trustedIssuer({ id: 'corp' })] }))
      .toMatch(/trustedIssuers\.0\.id: must differ from the id of upstream provider corp: both would name their people "corp:<sub>"/);
  });

  it('a local account whose subject looks like a trusted issuer\'s person is refused', () => {
    const message = refusalOf({ trustedIssuers: [trustedIssuer()], accounts: [{ sub: 'shop:alice', username: 'alice', password: 'scrypt$x' }] });
    expect(message).toMatch(/accounts\.0\.sub: must not start with "shop:", the subjects of trusted issuer shop/);
  });

  it('distinct ids, and accounts outside both namespaces, are accepted', () => {
    const config = parseConfig({ upstreamProviders: [provider()], trustedIssuers: [trustedIssuer()] });
    expect([config.upstreamProviders[0]!.id, config.trustedIssuers[0]!.id]).toEqual(['corp', 'shop']);
  });
});
