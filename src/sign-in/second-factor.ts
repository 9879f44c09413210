import type Router from '@koa/router';
import type { Context } from 'koa';

import type { AccountDirectory } from '../accounts/account-directory.js';
import { ACR_MFA, acrMeets, authenticationContextOf, type SignInProof } from '../accounts/authentication-context.js';
import type { FactorStore } from '../accounts/factors/factor-store.js';
import type { PageRenderer } from '../http/page-renderer.js';
import { describeWait } from '../limits/failure-lockout.js';
import type { LoginThrottle } from '../limits/login-throttle.js';
import type { Audit } from '../observability/audit.js';
import { ACR_UNMET, type RequestedAcr } from '../provider/authentication-requirements.js';
import type { ValueStore } from '../store/store.js';
import { type Interaction, interactionPaths, type Interactions } from './interaction.js';
import type { PasskeyCeremonies } from './passkey-ceremonies.js';
import { PASSKEY_SCRIPTS } from './passkey-scripts.js';

/** Seconds a person has for the second step once their password was right: an interaction's life at most. */
const SECOND_STEP_SECONDS = 10 * 60;

/** Whose password was right in this interaction (or who is signed in already, asked for more), who is to give a second factor now. */
interface PasswordGiven {
  sub: string;
  username: string;
  /** Signed in already, weaker than the app asks: the second step is all that is missing. */
  stepUp?: boolean;
  /** Whether a code (the app's, a recovery code) is enough for what the app asks: not where only a passkey is. */
  codeEnough?: boolean;
}

const pendingKey = (uid: string) => `second-factor:${uid}`;
/** A passkey ceremony of a sign-in is bound to its interaction (itself bound to the browser's cookie). */
export const passkeyBinding = (uid: string) => `interaction:${uid}`;

export interface SecondFactorDependencies {
  interactions: Interactions;
  accounts: AccountDirectory;
  factors: FactorStore;
  ceremonies: PasskeyCeremonies;
  store: ValueStore;
  render: PageRenderer;
  loginThrottle: LoginThrottle;
  audit: Audit;
  /** Draws the sign-in page again, with an error: where a passkey sign-in without a password failed. */
  loginPage(ctx: Context, interaction: Interaction, error: string): Promise<void>;
}

/**
 * The second step of a sign-in, and passkey sign-in: after a right password, a person with a
 * passkey or an authenticator app gives one of them (or a recovery code); a passkey alone, on the
 * sign-in page, signs a person in without a password. Wrong codes count against the same
 * lockouts as wrong passwords; a code is accepted once, a recovery code once ever.
 */
export function secondFactorStep(deps: SecondFactorDependencies) {
  const { interactions, accounts, factors, ceremonies, store, render, loginThrottle, audit } = deps;

  const pendingOf = async (uid: string): Promise<PasswordGiven | undefined> => {
    const text = await store.getValue(pendingKey(uid));
    return text === undefined ? undefined : (JSON.parse(text) as PasswordGiven);
  };

  const page = async (ctx: Context, interaction: Interaction, person: PasswordGiven, error = '') => {
    const paths = interactionPaths(interaction.uid);
    const passkeys = await factors.passkeys(person.sub);
    render(ctx, 'second-factor', 'Confirm it is you', {
      username: person.username,
      stepUp: person.stepUp === true,
      codeEnough: person.codeEnough !== false,
      codeAction: paths.secondFactor,
      passkeyAction: paths.passkey,
      abortAction: paths.abort,
      csrf: interactions.csrfToken(interaction.uid),
      passkeyOptions: passkeys.length ? JSON.stringify(await ceremonies.authenticationOptions(passkeyBinding(interaction.uid), person.sub)) : '',
      error,
      scripts: PASSKEY_SCRIPTS,
    });
  };

  /** Signs the person in with what they proved, and forgets the password step. */
  const finish = async (ctx: Context, uid: string, sub: string, proof: SignInProof) => {
    await store.deleteValue(pendingKey(uid));
    await interactions.finish(ctx, { login: { accountId: sub, ...authenticationContextOf(proof) } });
  };

  return {
    /** The page of this interaction's second step, if its password was given. */
    async pageIfPending(ctx: Context, interaction: Interaction): Promise<boolean> {
      const person = await pendingOf(interaction.uid);
      if (person) await page(ctx, interaction, person);
      return person !== undefined;
    },

    /** After a right password: asks for the second factor of a person who has one; false when they have none. */
    async begin(ctx: Context, interaction: Interaction, person: PasswordGiven): Promise<boolean> {
      if (!(await factors.hasSecondFactor(person.sub))) return false;
      await store.setValue(pendingKey(interaction.uid), JSON.stringify(person), SECOND_STEP_SECONDS);
      await page(ctx, interaction, person);
      return true;
    },

    /**
     * A person signed in already, more weakly than the app asks (`acr_values`, or an acr in the
     * claims parameter): the second step alone, when one of their factors can give what is asked.
     * Otherwise the sign-in they have goes on as it is, unless the app said the acr is essential,
     * which ends the request with unmet_authentication_requirements.
     */
    async stepUpIfAsked(ctx: Context, interaction: Interaction): Promise<boolean> {
      const { prompt, session } = interaction;
      const onlyAcr = prompt.reasons.length > 0 && prompt.reasons.every((reason) => reason === ACR_UNMET);
      const account = onlyAcr && session?.accountId ? await accounts.find(session.accountId) : undefined;
      if (!account) return false;
      const requested = prompt.details.acr as RequestedAcr;
      const strongest = await factors.strongestAcr(account.sub);
      const meets = (acr: string) => requested.values.some((value) => acrMeets(acr, value));
      if (!meets(strongest)) {
        await interactions.finish(ctx, requested.essential
          ? { error: 'unmet_authentication_requirements', error_description: `this person cannot sign in with ${requested.values.join(' or ')}` }
          : { login: { accountId: account.sub, acr: session!.acr, amr: session!.amr } });
        return true;
      }
      const person: PasswordGiven = { sub: account.sub, username: account.username, stepUp: true, codeEnough: meets(ACR_MFA) };
      await store.setValue(pendingKey(interaction.uid), JSON.stringify(person), SECOND_STEP_SECONDS);
      await page(ctx, interaction, person);
      return true;
    },

    routes(router: Router): void {
      router.post('/second-factor', async (ctx) => {
        const { interaction, form } = await interactions.loadForm(ctx, 'login');
        const person = await pendingOf(interaction.uid);
        if (!person) {
          ctx.status = 303;
          ctx.redirect(interactionPaths(interaction.uid).page);
          return;
        }
        const attempt = await loginThrottle.attempt(person.username, ctx.ip);
        if (!attempt.allowed) {
          audit.denied({ reason: 'login_locked_out', userId: person.sub, ip: ctx.ip });
          ctx.status = 429;
          ctx.set('Retry-After', String(attempt.lockedFor));
          await page(ctx, interaction, person, `Too many wrong codes. Try again in ${describeWait(attempt.lockedFor)}.`);
          return;
        }
        const code = (form.code ?? '').trim();
        if (person.codeEnough === false) {
          ctx.status = 400;
          await page(ctx, interaction, person, 'This app asks for a passkey.');
          return;
        }
        const used = /^\d{3}\s?\d{3}$/.test(code) ? await factors.useTotp(person.sub, code.replace(/\s/g, '')) : (await factors.useRecoveryCode(person.sub, code)) ? 'recovery' : 'wrong';
        if (used !== 'accepted' && used !== 'recovery') {
          audit.factor({ action: 'refused', factorType: /^\d/.test(code) ? 'totp' : 'recovery_codes', userId: person.sub, ip: ctx.ip, reason: used === 'replayed' ? 'code_replayed' : 'wrong_code' });
          ctx.status = 401;
          await page(ctx, interaction, person, used === 'replayed' ? 'That code was used already. Wait for the next one.' : 'Wrong code.');
          return;
        }
        await attempt.succeeded();
        audit.factor({ action: 'used', factorType: used === 'recovery' ? 'recovery_codes' : 'totp', userId: person.sub, ip: ctx.ip });
        await finish(ctx, interaction.uid, person.sub, { method: 'password+otp' });
      });

      // A passkey: the second step after a password, or, from the sign-in page, the whole sign-in.
      router.post('/passkey', async (ctx) => {
        const { interaction, form } = await interactions.loadForm(ctx, 'login');
        const person = await pendingOf(interaction.uid);
        // Without a password given, who signs in is known only once the passkey verified: the address stands for them.
        const attempt = await loginThrottle.attempt(person?.username ?? `passkey sign-in from ${ctx.ip}`, ctx.ip);
        if (!attempt.allowed) {
          ctx.status = 429;
          ctx.set('Retry-After', String(attempt.lockedFor));
          await failed(ctx, interaction, person, `Too many failed sign-ins. Try again in ${describeWait(attempt.lockedFor)}.`);
          return;
        }
        const proof = await ceremonies.authenticate(passkeyBinding(interaction.uid), form.response, person?.sub);
        const account = proof && (await accounts.find(proof.sub));
        if (!proof || !account) {
          audit.factor({ action: 'refused', factorType: 'passkey', userId: person?.sub ?? proof?.sub ?? '', ip: ctx.ip, reason: 'passkey_not_verified' });
          ctx.status = 401;
          await failed(ctx, interaction, person, 'That passkey did not sign you in. Try again, or use another way.');
          return;
        }
        await attempt.succeeded();
        audit.factor({ action: 'used', factorType: 'passkey', factorId: proof.passkey.id, userId: proof.sub, ip: ctx.ip });
        await finish(ctx, interaction.uid, proof.sub, { method: 'passkey', synced: proof.passkey.deviceType === 'multiDevice', afterPassword: person !== undefined });
      });
    },
  };

  /** Back to the step the person was at: the second step's page, or the sign-in page (which the caller's `loginPage` draws). */
  async function failed(ctx: Context, interaction: Interaction, person: PasswordGiven | undefined, error: string) {
    if (person) await page(ctx, interaction, person, error);
    else await deps.loginPage(ctx, interaction, error);
  }
}

