import { generateKeyPairSync } from 'node:crypto';

import { exportSPKI, importSPKI, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';

import { describe as describeError, field, MintingError } from '../../src/grants/common/minting-error.js';
import { MintingGateway, type MintingCall, type MintingClient } from '../../src/grants/common/minting-gateway.js';
import type { IvsTokenInput } from '../../src/grants/ivs/request.js';
import { ClientTokenRate } from '../../src/limits/client-token-rate.js';
import { TokenRateLimiter } from '../../src/limits/token-rate.js';
import { ivsMintingService } from '../../src/grants/ivs/service.js';
import { IvsParticipantDirectory } from '../../src/grants/ivs/participant-directory.js';
import { KeepOuts } from '../../src/grants/ivs/keep-out.js';
import { IvsStageDirectory } from '../../src/grants/ivs/stage-directory.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { systemClock } from '../../src/time/clock.js';
import { BanList } from '../../src/grants/common/ban-list.js';
import { PUBLIC_KEY_ARN, STAGES } from '../support/minters.js';

const NOW = 1_800_000_000;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ivsStore = new MemoryStore(systemClock);
const service = ivsMintingService({
  stages: new IvsStageDirectory(Object.values(STAGES), ivsStore),
  participants: new IvsParticipantDirectory(ivsStore),
  keepOuts: new KeepOuts(ivsStore, () => NOW * 1000),
  replaced: async () => {},
  people: { find: async (id) => ({ id, groups: [], rights: {}, withheld: [] }), isEnded: async () => false },
  signingKey: { privateKey, publicKeyArn: PUBLIC_KEY_ARN },
  bans: new BanList(new MemoryStore(systemClock), () => NOW * 1000),
  now: () => NOW,
});
const backend = { clientId: 'stage-backend', rights: { ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['SUBSCRIBE'] } };

async function refusal(promise: Promise<unknown>): Promise<MintingError> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(MintingError);
  return error as MintingError;
}

describe('a minting service, called without any HTTP request', () => {
  it('mints a token for a typed request within the caller\'s rights', async () => {
    const minted = await service.mint({ stageArn: STAGES.main.arn, capabilities: ['SUBSCRIBE'], duration: 5 }, backend);
    const { payload } = await jwtVerify(minted.token, await importSPKI(await exportSPKI(publicKey), 'ES384'));
    expect(payload).toMatchObject({ resource: STAGES.main.arn, iat: NOW, exp: NOW + 300, capabilities: { allow_subscribe: true } });
    expect(minted).toMatchObject({ duration: 5, capabilities: ['SUBSCRIBE'], expiresIn: 300, expirationTime: new Date((NOW + 300) * 1000).toISOString() });
  });

  it('refuses a rule broken with a code and the field it concerns', async () => {
    const error = await refusal(service.mint({ stageArn: 'arn:aws:ivs:us-west-2:123456789012:channel/x' }, backend));
    expect(error).toMatchObject({ code: 'invalid_request', field: 'stageArn' });
    // Each interface names the field its own way, from the same error.
    expect(error.description.render({ stageArn: 'stage_arn' })).toBe('stage_arn must be an IVS stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)');
    expect(error.description.render()).toBe('stageArn must be an IVS stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)');
  });

  it('refuses what the rights do not allow, before saying whether the stage exists', async () => {
    expect(await refusal(service.mint({ stageArn: STAGES.backstage.arn, capabilities: ['SUBSCRIBE'] }, backend))).toMatchObject({ code: 'access_denied' });
    expect(await refusal(service.mint({ stageArn: 'arn:aws:ivs:us-west-2:123456789012:stage/Nowhere', capabilities: ['SUBSCRIBE'] }, backend)))
      .toMatchObject({ code: 'access_denied' });
    expect(await refusal(service.mint({ stageArn: STAGES.main.arn }, backend))).toMatchObject({ code: 'access_denied', message: expect.stringContaining('PUBLISH') });
  });

  it('keeps an empty capability list empty', async () => {
    const minted = await service.mint({ stageArn: STAGES.main.arn, capabilities: [] }, backend);
    expect(minted.capabilities).toEqual([]);
  });

  describe('through the minting gateway', () => {
    const stageBackend = (grantTypes: string[]): MintingClient => ({
      clientId: 'stage-backend', isPublic: false, registeredFor: (grantType) => grantTypes.includes(grantType), rights: () => backend.rights,
    });
    const gatewayOf = (tokensPerSecond: number) => {
      const events: Record<string, unknown>[] = [];
      const store = new MemoryStore(systemClock);
      const rate = new ClientTokenRate({
        tokens: new TokenRateLimiter(store, { [service.grantType]: tokensPerSecond }, systemClock),
        failedGrants: new TokenRateLimiter(store, { default: 10 }, systemClock),
      });
      const audit = { tokenIssued: (fields: object) => events.push({ ...fields }), denied: (fields: object) => events.push({ ...fields }), adminChange: () => {}, factor: () => {}, lease: () => {}, participantAction: () => {} };
      return { gateway: new MintingGateway(rate, audit), events };
    };
    const call = (client: MintingClient): MintingCall<IvsTokenInput> => ({
      client, ip: '192.0.2.1', resource: STAGES.main.arn, rightsFields: ['ivs_stage_arns', 'ivs_capabilities'],
      request: async () => ({ input: { stageArn: STAGES.main.arn, capabilities: ['SUBSCRIBE'] } }),
    });

    it('counts against the token rate and records one audit event per request, issued or denied', async () => {
      const { gateway, events } = gatewayOf(1);
      await gateway.mint(service, call(stageBackend([service.grantType])));
      const throttled = await refusal(gateway.mint(service, call(stageBackend([service.grantType]))));
      expect(throttled).toMatchObject({ code: 'rate_limit_exceeded', retryAfter: 1, message: `this client may obtain 1 tokens per second with ${service.grantType}; retry after 1 s` });
      expect(events).toEqual([
        { clientId: 'stage-backend', grantType: service.grantType, ip: '192.0.2.1', resource: STAGES.main.arn, capabilities: ['SUBSCRIBE'] },
        expect.objectContaining({ clientId: 'stage-backend', resource: STAGES.main.arn, reason: 'rate_limit_exceeded' }),
      ]);
    });

    it('refuses a client not registered for the grant type before it spends any of its rate', async () => {
      const { gateway, events } = gatewayOf(1);
      const refused = await refusal(gateway.mint(service, call(stageBackend(['client_credentials']))));
      expect(refused).toMatchObject({ code: 'unauthorized_client', message: `this client is not registered for ${service.grantType}` });
      expect(events).toEqual([expect.objectContaining({ clientId: 'stage-backend', reason: 'unauthorized_client' })]);
      await gateway.mint(service, call(stageBackend([service.grantType])));
    });
  });
});

describe('error descriptions', () => {
  it('name every field they mention in the spelling asked for, and leave values as they are', () => {
    const description = describeError`${field('clientToken')} was used for ${'stage_arn'}; send a new ${field('clientToken')}`;
    expect(description.field).toBe('clientToken');
    expect(description.render({ clientToken: 'ClientToken' })).toBe('ClientToken was used for stage_arn; send a new ClientToken');
  });
});
