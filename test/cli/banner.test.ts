import { describe, expect, it } from 'vitest';

import { hashPassword } from '../../src/accounts/password.js';
import { loadConfigFile, parseConfig } from '../../src/app/config.js';
import { DEFAULT_CONFIG_PATH } from '../../src/config/load.js';
import { banner, samplesInUse } from '../../src/app/banner.js';

const defaults = loadConfigFile(DEFAULT_CONFIG_PATH, {});

describe('the start-up banner', () => {
  it('on the default configuration shows where stagepass listens and every sample credential, with the device flow to try', async () => {
    const text = banner(defaults, await samplesInUse(defaults));
    expect(text).toContain('stagepass is listening on 0.0.0.0:3000');
    expect(text).toContain('discovery: http://localhost:3000/.well-known/openid-configuration');
    expect(text).toContain('confidential client: sample-backend / sample-backend-secret-change-me');
    expect(text).toContain('public client:       sample-device');
    expect(text).toContain('account:             alice / stagepass-demo');
    expect(text).toContain('admin client:        sample-admin / sample-admin-secret-change-me (client_credentials, scope stagepass:admin)');
    expect(text).toContain('Try the device flow:');
  });

  it('offers the sample admin client only while the configuration has it with its secret and the admin scope', async () => {
    const withClients = (change: (client: Record<string, unknown>) => Record<string, unknown>) => parseConfig({
      ...rawDefaults(),
      clients: defaults.clients.map((client) => (client.client_id === 'sample-admin' ? change({ ...client }) : client)),
    });
    const otherSecret = withClients((client) => ({ ...client, client_secret: 'a secret of its own, 0123456789abcdef' }));
    const readOnly = withClients((client) => ({ ...client, scope: 'stagepass:admin:read' }));
    for (const config of [otherSecret, readOnly]) {
      const text = banner(config, await samplesInUse(config));
      expect(text).toContain('confidential client: sample-backend');
      expect(text).not.toContain('admin client:');
    }
  });

  it('offers no sample account a configuration does not have, nor the sample password of an account whose password is another', async () => {
    const withoutAlice = parseConfig({ ...rawDefaults(), accounts: [] });
    const otherPassword = parseConfig({
      ...rawDefaults(),
      accounts: [{ sub: 'sub-alice', username: 'alice', password: await hashPassword('a password of her own') }],
    });
    for (const config of [withoutAlice, otherPassword]) {
      const text = banner(config, await samplesInUse(config));
      expect(text).toContain('confidential client: sample-backend');
      expect(text).not.toContain('stagepass-demo');
      expect(text).not.toContain('sign in as alice');
    }
  });

  it('without any sample credential shows none, and names the host it listens on', async () => {
    const config = parseConfig({ host: '::1', port: 8443, issuer: 'https://id.example.com' });
    const text = banner(config, await samplesInUse(config));
    expect(text).toContain('stagepass is listening on [::1]:8443');
    expect(text).toContain('discovery: https://id.example.com/.well-known/openid-configuration');
    expect(text).not.toContain('Sample credentials');
  });
});

function rawDefaults(): Record<string, unknown> {
  const { issuer: _issuer, ...rest } = defaults;
  return rest;
}
