import { DisconnectParticipantCommand, IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FORWARD_ATTEMPTS, IvsForwarding } from '../../src/grants/ivs/ivs-forwarding.js';
import { createLogger } from '../../src/observability/logger.js';
import { adminApi, adminToken } from '../support/admin.js';
import { sdkConfig } from '../support/aws.js';
import { IVS_IDENTITY, startIvsStandIn } from '../support/ivs-stand-in.js';
import { IVS_GRANT, mint, STAGES } from '../support/minters.js';
import { participantIdOf, stagesConfig } from '../support/stages.js';
import { newKeysDir, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const STAGE = STAGES.main.arn;

/** A forwarder to the stand-in, retrying at once, with what it counted and logged. */
function forwarderTo(endpoint: string, identity: Partial<typeof IVS_IDENTITY> = {}) {
  const outcomes: string[] = [];
  const logged: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) } });
  const forwarding = new IvsForwarding({ ...IVS_IDENTITY, ...identity, endpoint }, { logger, metrics: { forwarded: (_service, outcome) => outcomes.push(outcome) }, firstRetryMs: 1 });
  return { forwarding, outcomes, logged };
}

describe('a disconnection sent on to IVS, against a stand-in that checks its SigV4 signature', () => {
  it('is signed as IVS requires (signing name ivs, the session token signed) and taken', async () => {
    const standIn = await startIvsStandIn();
    const { forwarding, outcomes } = forwarderTo(standIn.endpoint);
    await forwarding.disconnect(STAGE, 'Participant01', 'kicked');
    expect(standIn.taken).toEqual([{ stageArn: STAGE, participantId: 'Participant01', reason: 'kicked' }]);
    expect([standIn.refusals, outcomes]).toEqual([[], ['ok']]);
    forwarding.close();
    await standIn.close();
  });

  it('is retried with backoff while IVS fails, and counted once taken', async () => {
    const standIn = await startIvsStandIn({ failing: 2 });
    const { forwarding, outcomes } = forwarderTo(standIn.endpoint);
    await forwarding.disconnect(STAGE, 'Participant02', undefined);
    expect([standIn.signedRequests(), standIn.taken.length, outcomes]).toEqual([3, 1, ['ok']]);
    forwarding.close();
    await standIn.close();
  });

  it('after every attempt failed, is logged and counted as failed', async () => {
    const standIn = await startIvsStandIn({ failing: 100 });
    const { forwarding, outcomes, logged } = forwarderTo(standIn.endpoint);
    await forwarding.disconnect(STAGE, 'Participant03', undefined);
    expect([standIn.signedRequests(), outcomes]).toEqual([FORWARD_ATTEMPTS, ['failed']]);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'error', participantId: 'Participant03', attempt: FORWARD_ATTEMPTS }));
    forwarding.close();
    await standIn.close();
  });

  it('signed with a wrong secret, is refused by the stand-in, not retried, and counted as refused', async () => {
    const standIn = await startIvsStandIn();
    const { forwarding, outcomes } = forwarderTo(standIn.endpoint, { secretAccessKey: 'not-the-secret-of-this-identity' });
    await forwarding.disconnect(STAGE, 'Participant04', undefined);
    expect([standIn.refusals, standIn.taken, outcomes]).toEqual([['InvalidSignatureException'], [], ['refused']]);
    forwarding.close();
    await standIn.close();
  });
});

describe('stagepass with ivs.forward', () => {
  let standIn: Awaited<ReturnType<typeof startIvsStandIn>>;
  let server: RunningStagepass;
  /** May mint for and moderate the main stage. */
  const MODERATOR = {
    client_id: 'forwarding-moderator', client_secret: 'forwarding-moderator-secret-0123456789',
    grant_types: [IVS_GRANT], response_types: [], redirect_uris: [],
    ivs_stage_arns: [STAGE], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], ivs_moderated_stage_arns: [STAGE],
  };
  beforeAll(async () => {
    standIn = await startIvsStandIn({ failing: 1 });
    const keysDir = await newKeysDir();
    const config = await stagesConfig(keysDir, { clients: [MODERATOR], ivs: { forward: { ...IVS_IDENTITY, endpoint: standIn.endpoint } } });
    server = await startStagepass({ keysDir, config });
  });
  afterAll(async () => {
    await server?.close();
    await standIn?.close();
  });

  it('sends every disconnection, through the Admin API or DisconnectParticipant, on to IVS, and counts them in /metrics', async () => {
    const admin = adminApi(server.issuer, await adminToken(server.issuer));
    const first = participantIdOf(await mint(server.issuer, MODERATOR, IVS_GRANT, { stage_arn: STAGE, user_id: 'guest-1' }));
    const second = participantIdOf(await mint(server.issuer, MODERATOR, IVS_GRANT, { stage_arn: STAGE, user_id: 'guest-2' }));
    expect((await admin.post(`/participants/${first}/disconnect`, { reason: 'kicked' })).status).toBe(200);
    await new IVSRealTimeClient(sdkConfig(server.issuer, 'ivs-realtime', MODERATOR)).send(new DisconnectParticipantCommand({ stageArn: STAGE, participantId: second }));

    // The first attempt the stand-in answers fails: one of the two is sent again a second later.
    await expect.poll(() => standIn.taken.length, { timeout: 10_000 }).toBe(2);
    expect(standIn.taken).toEqual(expect.arrayContaining([{ stageArn: STAGE, participantId: first, reason: 'kicked' }, { stageArn: STAGE, participantId: second }]));
    const metrics = await (await fetch(`${server.issuer}/metrics`)).text();
    expect(metrics).toContain('stagepass_forwarded_total{service="ivs",outcome="ok"} 2');
    expect((await admin.get(`/participants/${first}`)).body).toMatchObject({ live: false });
  });
});
