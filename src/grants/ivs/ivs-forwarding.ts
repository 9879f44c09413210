import { DisconnectParticipantCommand, IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';

import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { IvsConfig } from './config.js';

export type IvsForwardSettings = NonNullable<IvsConfig['forward']>;

/** Five attempts, a second apart at first and twice as long each time: about 15 seconds in all. */
export const FORWARD_ATTEMPTS = 5;
const FIRST_RETRY_MS = 1_000;

/** IVS's answers that a retry would get again: the request is wrong, or the participant is not in a media session. */
const FINAL_REFUSALS = new Set(['ValidationException', 'AccessDeniedException', 'ResourceNotFoundException', 'PendingVerification', 'UnrecognizedClientException', 'InvalidSignatureException']);

export interface ForwardingDependencies {
  logger: Logger;
  metrics: Pick<Metrics, 'forwarded'>;
  /** Milliseconds before the first retry; a second unless a test wants less. */
  firstRetryMs?: number;
}

/**
 * Sends disconnections on to IVS's own DisconnectParticipant (AWS SDK, SigV4), so that the media
 * session ends now rather than when the token would next be used. In the background, retried with
 * backoff; whatever IVS answers, the local decision stands, and a failure is logged and counted.
 */
export class IvsForwarding {
  readonly #client: IVSRealTimeClient;
  readonly #firstRetryMs: number;

  constructor({ region, accessKeyId, secretAccessKey, sessionToken, endpoint }: IvsForwardSettings, private readonly deps: ForwardingDependencies) {
    this.#client = new IVSRealTimeClient({
      region,
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) },
      ...(endpoint === undefined ? {} : { endpoint }),
      // The retries are this class's own, so that each is counted and the last one logged.
      maxAttempts: 1,
    });
    this.#firstRetryMs = deps.firstRetryMs ?? FIRST_RETRY_MS;
  }

  /** Answers once IVS took it, refused it for good, or every attempt failed; never throws. */
  async disconnect(stageArn: string, participantId: string, reason: string | undefined): Promise<void> {
    const command = new DisconnectParticipantCommand({ stageArn, participantId, ...(reason === undefined ? {} : { reason }) });
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#client.send(command);
        this.deps.metrics.forwarded('ivs', 'ok');
        return;
      } catch (error) {
        const name = (error as Error).name;
        const facts = { stageArn, participantId, attempt, error: `${name}: ${(error as Error).message}` };
        if (FINAL_REFUSALS.has(name)) {
          const outcome = name === 'ResourceNotFoundException' ? 'not_found' : 'refused';
          this.deps.metrics.forwarded('ivs', outcome);
          this.deps.logger[outcome === 'not_found' ? 'info' : 'warn']('IVS did not take a disconnection', facts);
          return;
        }
        if (attempt >= FORWARD_ATTEMPTS) {
          this.deps.metrics.forwarded('ivs', 'failed');
          this.deps.logger.error('a disconnection could not be sent to IVS; it holds here all the same', facts);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.#firstRetryMs * 2 ** (attempt - 1)).unref());
      }
    }
  }

  close(): void {
    this.#client.destroy();
  }
}
