import type { TokenRateLimiter } from './token-rate.js';

/** Who asks for a token, as the token rate sees them. */
export interface RatedClient {
  clientId: string;
  /** A public client (no secret): its id proves nothing, so anyone can send it. */
  isPublic: boolean;
}

/** A token request allowed to go on, holding its places until it says how it ended. */
export interface RatePlaces {
  allowed: true;
  /** The token was issued: the places stay spent. */
  succeeded(): void;
  /** It was refused: a public client's places go back. */
  failed(): void;
}

/** A token request over a rate, with the sentence that says which. */
export interface RateRefusal {
  allowed: false;
  limit: number;
  retryAfter: number;
  /** `this client may obtain 3 tokens per second with …; retry after 1 s`. */
  message: string;
}

export interface ClientTokenLimits {
  /** Each client's tokens per second by grant type, and a public client's per address. */
  tokens: TokenRateLimiter;
  /** A public client's failed requests per second per address, in buckets named `failed:<grant type>`. */
  failedGrants: TokenRateLimiter;
}

/**
 * Holds each client to its token rate for the grant type, however the token is asked for. A
 * public client's id proves nothing, so anyone can send it: its rate is counted per address as
 * well as for the client, both spent only by requests that succeed (a failed one gives its places
 * back), and its failed requests are counted apart, per address. A caller sending junk in a public
 * client's name is refused alone; what it holds of the client's rate while its requests are judged
 * is bounded by its address's rates and given back when they fail.
 */
export class ClientTokenRate {
  constructor(private readonly limits: ClientTokenLimits) {}

  /** Tokens per second for the grant type; 0 when it is unlimited. */
  limitOf(grantType: string): number {
    return this.limits.tokens.limitOf(grantType);
  }

  async take(client: RatedClient, grantType: string, ip: string): Promise<RatePlaces | RateRefusal> {
    const { tokens, failedGrants } = this.limits;
    const { clientId } = client;
    const ofTheClient = (limit: number) => `this client may obtain ${limit} tokens per second with ${grantType}`;
    if (!client.isPublic || tokens.limitOf(grantType) === 0) {
      const taken = await tokens.take(clientId, grantType);
      return taken.allowed ? { allowed: true, succeeded: () => {}, failed: () => {} } : refusal(taken, ofTheClient);
    }
    const failures = await failedGrants.take(`${clientId} ${ip}`, `failed:${grantType}`);
    if (!failures.allowed) return refusal(failures, (limit) => `this client may make ${limit} failed requests per second with ${grantType} from one address`);
    const fromAddress = await tokens.take(`${clientId} ${ip}`, grantType);
    if (!fromAddress.allowed) {
      failures.refund();
      return refusal(fromAddress, (limit) => `${ofTheClient(limit)} from one address`);
    }
    // The client's own rate still bounds them all together (a minter's rate follows its vendor's quota).
    const shared = await tokens.take(clientId, grantType);
    if (!shared.allowed) {
      failures.refund();
      fromAddress.refund();
      return refusal(shared, ofTheClient);
    }
    return {
      allowed: true,
      succeeded: () => failures.refund(),
      failed: () => {
        fromAddress.refund();
        shared.refund();
      },
    };
  }
}

function refusal({ limit, retryAfter }: { limit: number; retryAfter: number }, describeLimit: (limit: number) => string): RateRefusal {
  return { allowed: false, limit, retryAfter, message: `${describeLimit(limit)}; retry after ${retryAfter} s` };
}
