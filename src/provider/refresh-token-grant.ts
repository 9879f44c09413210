/**
 * The refresh_token grant: a fork of oidc-provider 9.13.3's own handler
 * (lib/actions/grants/refresh_token.js), registered over the built-in one with the parameters it
 * was registered with. What it does not list below it does as upstream does, in upstream's order
 * and with upstream's messages: sender constraints (mTLS, DPoP and its replay check, attestation),
 * scopes, resource indicators, authorization details, account checks, gty, the rotations count,
 * the ID token, and the revocation of a grant whose rotated token is used again.
 *
 * A refresh takes several store steps (save the successor, consume the old token, save the access
 * token), and any may fail, or be applied without the client hearing so (Redis can run a write and
 * fail before it answers; a write that timed out may still be run). The client then retries with
 * the old token, which upstream would read as reused, revoking the whole grant. Deliberate
 * deviations, all for that:
 *
 * 1. The successor is saved before the old token is consumed, and the consume notes it in the same
 *    atomic step (upstream consumes first): a failure before the consume leaves the old token as it
 *    was, and after it a retry finds the successor.
 * 2. A retry of a rotation that was never answered is answered with that rotation's successor (and
 *    a new access token), without rotating again, for ROTATION_RETRY_GRACE_SECONDS and while the
 *    successor is unused. Upstream's checks then run on the successor, which carries the old
 *    token's client, grant, account and bindings.
 * 3. The consume is the store's atomic compare-and-set, and its loser does not answer (upstream
 *    ignores what consume answers: two racing refreshes would both rotate). When the winner is a
 *    rotation within the grace window whose successor is unused, the loser is told to retry (503
 *    temporarily_unavailable): the winner may be this client's own earlier attempt whose write timed
 *    out and ran late, and the retry is answered with its successor. Otherwise the loser is reuse,
 *    and the grant is revoked.
 * 4. Of the requests that could answer with one successor (the rotation, and retries that found its
 *    note), the one that claims the old token first answers; the others are a reuse racing it, and
 *    revoke the grant. The claim is a value of its own, not the note on the old token's record,
 *    since a racing reuse that upstream's check finds deletes that record with the grant. Whoever
 *    answers also removes the note: any later use of the old token is reuse. A claim or removal
 *    the store fails to confirm does not fail the answer, which a retry could only repeat: at worst
 *    the note stays, and the window with it.
 * 5. A grant revoked for 3 or 4 loses its Grant first, then its records, so that a revocation cut
 *    off halfway has still ended it; a store that cannot answer is a 503, as in the model adapter.
 */
import { errors, type Account, type Grant, type KoaContextWithOIDC, type Provider, type RefreshToken } from 'oidc-provider';

import { temporarilyUnavailable, unavailableAsProviderError } from '../http/store-unavailable.js';
import type { Store } from '../store/store.js';
import { type Clock, epochSeconds } from '../time/clock.js';
import {
  applyMtlsBinding, boolean, builtInGrantParameters, certificateThumbprint, checkAccountMismatch, checkAttestBinding,
  createAccessToken, difference, formatters, GRANT_MODEL, grantHelpersOf, issueIdToken, presence, refreshGrantConfiguration,
  resolveResource, revoke, validateAccount, validateResourceServer, type DPoPProof, type GrantHelpers, type RefreshGrantConfiguration,
} from './oidc-provider-internals.js';

/**
 * Seconds a refresh token whose rotation was never answered keeps answering with the successor it
 * was rotated to, while that successor is unused (RFC 9700 §4.14.2). Long enough for a client's
 * retries across a Redis restart or failover; short, since whoever holds the old token in that
 * time obtains the successor.
 */
export const ROTATION_RETRY_GRACE_SECONDS = 60;

const gty = 'refresh_token';
const MODEL = 'RefreshToken';
const { InvalidGrant, InvalidScope } = errors;
const ATTESTING_AUTH_METHODS = new Set<string | undefined>(['attest_jwt_client_auth', 'attest_jwt_client_auth_dpop']);

type Certificate = ReturnType<RefreshGrantConfiguration['features']['mTLS']['getCertificate']>;

/** A refresh token that passed upstream's checks, with what they found. */
interface Usable {
  refreshToken: RefreshToken;
  grant: Grant;
  account: Account;
  cert: Certificate;
}

/** Registers the grant over oidc-provider's built-in one: before any wrapper of grant handlers is installed, so that it wraps this one. */
export function registerRefreshTokenGrant(provider: Provider, store: Store, clock: Clock): void {
  const grant = new RefreshTokenGrant(provider, store, clock);
  provider.registerGrantType(gty, (ctx) => grant.handle(ctx), builtInGrantParameters(provider, gty));
}

class RefreshTokenGrant {
  readonly #provider: Provider;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #helpers: GrantHelpers;
  readonly #configuration: RefreshGrantConfiguration;

  constructor(provider: Provider, store: Store, clock: Clock) {
    this.#provider = provider;
    this.#store = store;
    this.#clock = clock;
    this.#helpers = grantHelpersOf(provider);
    this.#configuration = refreshGrantConfiguration(provider);
  }

  async handle(ctx: KoaContextWithOIDC): Promise<void> {
    presence(ctx, 'refresh_token');
    const dPoP = await this.#helpers.validateDpop(ctx);
    // A string: oidc-provider refuses a parameter given twice.
    const presented = ctx.oidc.params!.refresh_token as string;
    // A retry of a rotation never answered is answered with that rotation's successor (deviation 2).
    const retriedTo = await this.#unansweredSuccessorOf(presented);
    const usable = await this.#findUsable(ctx, retriedTo ?? presented, dPoP);
    let { refreshToken } = usable;
    let refreshTokenValue = retriedTo ?? presented;
    const rotating = retriedTo === undefined && (await this.#rotates(ctx));
    if (rotating) {
      refreshToken = this.#successorOf(ctx, usable.refreshToken);
      ctx.oidc.entity('RefreshToken', refreshToken);
      // Saved before the old token is consumed, which notes it (deviation 1).
      refreshTokenValue = await refreshToken.save();
      await this.#consumeNoting(ctx, usable.refreshToken, refreshToken.jti);
    }

    const { at, scope } = await this.#accessToken(ctx, { ...usable, refreshToken }, dPoP);
    const accessToken = await at.save();
    const idToken = await issueIdToken(this.#provider, ctx, refreshToken, at, usable.grant, scope);
    if (rotating || retriedTo !== undefined) await this.#claimAnswer(presented, refreshToken.grantId);

    ctx.body = this.#helpers.buildTokenResponse({
      accessToken,
      authorizationDetails: at.rar,
      expiresIn: at.expiration,
      idToken,
      refreshToken: refreshTokenValue,
      scope: refreshToken.scope ? at.scope : (at.scope || undefined),
      tokenType: at.tokenType,
    });
  }

  /** Upstream's checks, in its order; a token already consumed is reuse, and revokes its grant. */
  async #findUsable(ctx: KoaContextWithOIDC, value: string, dPoP: DPoPProof | undefined): Promise<Usable> {
    const refreshToken = await this.#find(ctx, value);
    const cert = this.#checkSenderConstraints(ctx, refreshToken, dPoP);
    const grant = await this.#helpers.validateGrant(ctx, refreshToken.grantId);
    checkRequestedScope(ctx, refreshToken);
    await this.#checkProofOfPossession(ctx, refreshToken, dPoP);

    ctx.oidc.entity('RefreshToken', refreshToken);
    ctx.oidc.entity('Grant', grant);
    const account = await validateAccount(this.#provider, ctx, refreshToken, 'refresh token');
    checkAccountMismatch(refreshToken, grant);
    ctx.oidc.entity('Account', account);

    if (refreshToken.consumed) {
      await Promise.all([refreshToken.destroy(), revoke(ctx, refreshToken.grantId)]);
      throw new InvalidGrant('refresh token already used');
    }
    return { refreshToken, grant, account, cert };
  }

  async #find(ctx: KoaContextWithOIDC, value: string): Promise<RefreshToken> {
    const refreshToken = await this.#provider.RefreshToken.find(value, { ignoreExpiration: true });
    if (!refreshToken) throw new InvalidGrant('refresh token not found');
    if (refreshToken.clientId !== ctx.oidc.client!.clientId) throw new InvalidGrant('client mismatch');
    if (refreshToken.isExpired) throw new InvalidGrant('refresh token is expired');
    return refreshToken;
  }

  #checkSenderConstraints(ctx: KoaContextWithOIDC, refreshToken: RefreshToken, dPoP: DPoPProof | undefined): Certificate {
    let cert: Certificate;
    if (ctx.oidc.client!.tlsClientCertificateBoundAccessTokens || refreshToken['x5t#S256']) {
      cert = this.#configuration.features.mTLS.getCertificate(ctx);
      if (!cert) throw new InvalidGrant('mutual TLS client certificate not provided');
    }
    this.#helpers.checkDpopRequired(ctx, dPoP);
    if (refreshToken['x5t#S256'] && refreshToken['x5t#S256'] !== certificateThumbprint(cert!)) {
      throw new InvalidGrant('failed x5t#S256 verification');
    }
    return cert;
  }

  async #checkProofOfPossession(ctx: KoaContextWithOIDC, refreshToken: RefreshToken, dPoP: DPoPProof | undefined): Promise<void> {
    await this.#helpers.checkDpopReplay(ctx, dPoP, ctx.oidc.client!.clientId, InvalidGrant);
    if (refreshToken.jkt && (!dPoP || refreshToken.jkt !== dPoP.thumbprint)) throw new InvalidGrant('failed jkt verification');
    if (ATTESTING_AUTH_METHODS.has(ctx.oidc.client!.clientAuthMethod)) {
      await checkAttestBinding(ctx, refreshToken);
    }
  }

  async #rotates(ctx: KoaContextWithOIDC): Promise<boolean> {
    const { rotateRefreshToken } = this.#configuration;
    return rotateRefreshToken === true
      || (typeof rotateRefreshToken === 'function' && boolean(await rotateRefreshToken(ctx), 'rotateRefreshToken'));
  }

  #successorOf(ctx: KoaContextWithOIDC, rotated: RefreshToken): RefreshToken {
    const successor = new this.#provider.RefreshToken({
      accountId: rotated.accountId,
      acr: rotated.acr,
      amr: rotated.amr,
      authTime: rotated.authTime,
      claims: rotated.claims,
      client: ctx.oidc.client!,
      expiresWithSession: rotated.expiresWithSession,
      iiat: rotated.iiat,
      grantId: rotated.grantId!,
      gty: rotated.gty!,
      nonce: rotated.nonce,
      resource: rotated.resource,
      rotations: typeof rotated.rotations === 'number' ? rotated.rotations + 1 : 1,
      scope: rotated.scope!,
      sessionUid: rotated.sessionUid,
      sid: rotated.sid,
      rar: rotated.rar,
      'x5t#S256': rotated['x5t#S256'],
      jkt: rotated.jkt,
      attestationJkt: rotated.attestationJkt,
    });
    if (successor.gty && !successor.gty.endsWith(gty)) successor.gty = `${successor.gty} ${gty}`;
    return successor;
  }

  /** Consumes the rotated token, noting its successor; the loser of a race to consume it does not answer (deviation 3). */
  async #consumeNoting(ctx: KoaContextWithOIDC, rotated: RefreshToken, successorId: string): Promise<void> {
    if (await unavailableAsProviderError(this.#store.consumeModel(MODEL, rotated.jti, successorId))) {
      rotated.emit('consumed');
      ctx.oidc.entity('RotatedRefreshToken', rotated);
      return;
    }
    if ((await this.#unansweredSuccessorOf(rotated.jti)) !== undefined) throw temporarilyUnavailable();
    await unavailableAsProviderError(revokeGrant(this.#store, rotated.grantId));
    throw new InvalidGrant('refresh token already used');
  }

  /** The successor a retry of the token is answered with (deviation 2), if any. */
  async #unansweredSuccessorOf(id: string): Promise<string | undefined> {
    const successor = await unavailableAsProviderError(this.#store.findSuccessor(MODEL, id));
    if (successor === undefined || epochSeconds(this.#clock) - successor.consumedAt > ROTATION_RETRY_GRACE_SECONDS) return undefined;
    const record = await unavailableAsProviderError(this.#store.findModel(MODEL, successor.id));
    return record !== undefined && record.consumed === undefined ? successor.id : undefined;
  }

  /** Claims the answer to the presented token's rotation, or revokes the grant (deviation 4). */
  async #claimAnswer(presented: string, grantId: string | undefined): Promise<void> {
    const [claimed] = await Promise.all([
      this.#store.replaceValue(`answered:${MODEL}:${presented}`, undefined, '1', ROTATION_RETRY_GRACE_SECONDS).catch(() => true),
      this.#store.forgetSuccessor(MODEL, presented).catch(() => undefined),
    ]);
    if (claimed) return;
    await unavailableAsProviderError(revokeGrant(this.#store, grantId));
    throw new InvalidGrant('refresh token already used');
  }

  async #accessToken(ctx: KoaContextWithOIDC, { refreshToken, grant, account, cert }: Usable, dPoP: DPoPProof | undefined) {
    const at = createAccessToken(this.#provider, ctx, {
      accountId: account.accountId,
      expiresWithSession: refreshToken.expiresWithSession,
      grantId: refreshToken.grantId,
      sessionUid: refreshToken.sessionUid,
      sid: refreshToken.sid,
    }, refreshToken.gty);
    applyMtlsBinding(at, cert);
    if (dPoP) at.setThumbprint('jkt', dPoP.thumbprint);
    if (at.gty && !at.gty.endsWith(gty)) at.gty = `${at.gty} ${gty}`;

    const scope = ctx.oidc.params!.scope ? ctx.oidc.requestParamScopes : refreshToken.scopes;
    const { userinfo, resourceIndicators } = this.#configuration.features;
    const resource = await resolveResource(ctx, refreshToken, { userinfo, resourceIndicators }, scope);
    if (resource) {
      const resourceServerInfo = validateResourceServer(await resourceIndicators.getResourceServerInfo(ctx, resource, ctx.oidc.client));
      at.resourceServer = new this.#provider.ResourceServer(resource, resourceServerInfo);
      at.scope = grant.getResourceScopeFiltered(resource, [...scope].filter(Set.prototype.has.bind(at.resourceServer.scopes)));
    } else {
      at.claims = refreshToken.claims;
      at.scope = grant.getOIDCScopeFiltered(scope);
    }
    await this.#helpers.applyAuthorizationDetails(ctx, at, refreshToken);
    ctx.oidc.entity('AccessToken', at);
    return { at, scope };
  }
}

function checkRequestedScope(ctx: KoaContextWithOIDC, refreshToken: RefreshToken): void {
  if (!ctx.oidc.params!.scope) return;
  const missing = difference([...ctx.oidc.requestParamScopes], [...refreshToken.scopes]);
  if (missing.length !== 0) {
    throw new InvalidScope(`refresh token missing requested ${formatters.pluralize('scope', missing.length)}`, missing.join(' '));
  }
}

/**
 * Removes a grant: the Grant first, which every token of it needs (a token whose Grant is gone is
 * refused everywhere), then its records, so that a revocation cut off halfway has still ended it.
 */
async function revokeGrant(store: Store, grantId: string | undefined): Promise<void> {
  if (grantId === undefined) return;
  await store.destroyModel(GRANT_MODEL, grantId);
  await store.revokeGrant(grantId);
}
