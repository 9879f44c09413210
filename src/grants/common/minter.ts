import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

import type { EndpointDependencies } from '../../aws/aws-endpoint.js';
import type { LeaseSigningKey, ServerSigningKey } from '../../keys/server-signing-key.js';
import type { AddressRate } from '../../limits/address-rate.js';
import type { CountedSets, LeaseStore, Rosters, SetStore, ValueStore } from '../../store/store.js';
import type { Audit } from '../../observability/audit.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Clock } from '../../time/clock.js';
import type { BanList } from './ban-list.js';
import type { MintingGrant } from './minting-grant.js';
import type { AdminAction, AdminResource } from './admin-resource.js';
import type { People } from './people.js';
import type { MintingGateway } from './minting-gateway.js';
import type { ParticipantRoll } from './participants.js';

/** How a minter ends what it keeps in a client's or a person's name. */
export interface MinterEnds {
  /** The client is deleted, or a client is about to be made under the id of an earlier one. */
  client(clientId: string): Promise<void>;
  /** The person's account is disabled or deleted. */
  person(sub: string): Promise<void>;
}

/** A running minter: its grants at the token endpoint, any routes of its own (keys, sessions, listings) and its AWS-compatible API. */
export interface Minter {
  grants: MintingGrant[];
  routes?: Router;
  /** Mounted under /aws/ beside the other AWS-compatible APIs. */
  awsApi?: (deps: AwsApiDependencies) => Middleware | Promise<Middleware>;
  /** What operators change of it at runtime, which the Admin API serves (the license minter's licenses). */
  adminResources?: AdminResource<unknown>[];
  /** Calls it offers operators beyond those collections. */
  adminActions?: AdminAction[];
  /** What it keeps in clients' and people's names (the license minter's tokens), to end with them. */
  ends?: MinterEnds;
  /** Who is in its live sessions (IVS stages' participants), which the Admin API serves. */
  participants?: ParticipantRoll;
}

/** What a minter's AWS-compatible API is given: the endpoint's needs, the clients, and the server's clock that signed requests are dated by. */
export interface AwsApiDependencies extends EndpointDependencies {
  provider: Provider;
  clock: Clock;
  /** Calls taken without a signature, per address: anyone may make them, and each may leave state behind (role credentials). */
  unsignedCalls: AddressRate;
}

export interface MinterDependencies {
  provider: Provider;
  /** What a minter keeps: its directories and registries, never oidc-provider's records. */
  store: ValueStore & SetStore & CountedSets & LeaseStore & Rosters;
  serverKey: ServerSigningKey;
  /** The PS384 key leases' signed tokens are signed with, published in /jwks. */
  leaseKey: LeaseSigningKey;
  clock: Clock;
  /** Whose groups decide what a person may mint. */
  people: People;
  /** Who may no longer be minted for, and what. */
  bans: BanList;
  /** What every way of asking for a minted token goes through: the grant check, the token rate, the audit trail. */
  gateway: MintingGateway;
  /** Where what is done outside minting (a lease, a participant disconnected) is recorded. */
  audit: Audit;
  /** What a minter does in the background (a disconnection sent on to IVS) is logged and counted. */
  logger: Logger;
  /** Gauges of what the store holds, read at each scrape, and the counts of what is done in the background. */
  metrics: Pick<Metrics, 'readAtScrape' | 'forwarded'>;
}

/** How a minter's AWS-compatible API is addressed, for those who call it (and the fuzz suite). */
export interface AwsApiDescription {
  /** The SigV4 signing name. */
  signingName: string;
  /** Where it is mounted: the endpoint an SDK client is given. */
  prefix: string;
  operations: readonly string[];
  /** restJson1 operations are paths below the prefix; awsJson ones are named in X-Amz-Target with this prefix. */
  targetPrefix?: string;
}

/** The sample client printed at start, for the minters' examples. */
export interface SampleClient {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Everything the server needs to know of a running minter, kept in the minter's folder: when its
 * configuration section (`Section`, parsed; see ./minter-configuration.ts) turns it on, its
 * default token rates, the example printed at start, and how to start it. The server reads these
 * through the registry in `src/grants/index.ts`, so adding a minter is its folder and a line there
 * and in `src/grants/config.ts`.
 */
export interface MinterPlugin<Section = unknown> {
  /** Shown at start among the enabled minters. */
  name: string;
  /** Whether the parsed section offers the minter at all; a minter not configured is not offered. */
  enabled(section: Section, server: { adminApi: boolean }): boolean;
  /**
   * The longest a token it signs with the server's key (`MinterDependencies.serverKey`) stays
   * valid: a retired key stays published that long. None when it signs nothing with it.
   */
  serverKeyTokenSeconds?: number;
  /**
   * The one spelling of a resource of this minter that its vendor reads several ways (a video
   * session id), so that a ban matches every spelling; undefined for a resource not its own.
   */
  canonicalResource?(resource: string): string | undefined;
  /** Default tokens per second per client, by grant type, where the minter wants other than the default. */
  tokensPerSecond?: Readonly<Record<string, number>>;
  /** The AWS-compatible API the running minter mounts, if it has one. */
  aws?: AwsApiDescription;
  /** Lines printed at start for the sample client, showing how to mint; none when the section gives nothing to show. */
  example?(section: NonNullable<Section>, sample: SampleClient): string[] | undefined;
  /** Called only for an enabled section. */
  create(section: NonNullable<Section>, deps: MinterDependencies): Promise<Minter>;
}

/** Checks a plugin against the interface while keeping its section's own type. */
export const defineMinter = <Section>(plugin: MinterPlugin<Section>): MinterPlugin<Section> => plugin;
