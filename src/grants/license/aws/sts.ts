import type { Middleware } from 'koa';
import { z } from 'zod';

import { awsErrorBoundary } from '../../../aws/aws-error-boundary.js';
import { nameRoute, type EndpointDependencies } from '../../../aws/aws-endpoint.js';
import { AwsError, type ErrorDialect } from '../../../aws/aws-error.js';
import { readRawBody } from '../../../http/raw-body.js';
import type { AddressRate } from '../../../limits/address-rate.js';
import { MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, StsRefusal, type RoleService, type StsErrorCode } from '../role-service.js';
import { assumedRoleXml, stsErrorXml } from './sts-xml.js';

/** STS's awsQuery endpoint, unsigned for AssumeRoleWithWebIdentity as at AWS. */
export const STS_PREFIX = '/aws/sts';
const VERSION = '2011-06-15';

// STS answers throttling with 400, as its other client errors, and the SDKs retry it by its code.
const STATUSES: Record<StsErrorCode | 'InvalidAction' | 'Throttling', number> = {
  InvalidIdentityToken: 400, ExpiredTokenException: 400, ValidationError: 400, InvalidAction: 400, AccessDenied: 403, Throttling: 400,
};

const stsError = (code: keyof typeof STATUSES, message: string, retryAfter?: number) =>
  new AwsError(code, STATUSES[code], message, retryAfter === undefined ? {} : { retryAfter: String(retryAfter) });

const STS_ERRORS: ErrorDialect = {
  body: stsErrorXml,
  validation: (message) => stsError('ValidationError', message),
  internal: (message) => new AwsError('InternalFailure', 500, message),
};

const length = (min: number, max: number) => `must be ${min} to ${max} characters`;

/** AssumeRoleWithWebIdentity's parameters as STS bounds them. */
const assumeRoleParams = z.object({
  RoleArn: z.string({ error: 'is required' }).min(20, length(20, 2048)).max(2048, length(20, 2048))
    .regex(/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)'),
  RoleSessionName: z.string({ error: 'is required' }).regex(/^[\w+=,.@-]{2,64}$/, 'must be 2 to 64 letters, digits or +=,.@_-'),
  WebIdentityToken: z.string({ error: 'is required' }).min(4, length(4, 20_000)).max(20_000, length(4, 20_000)),
  DurationSeconds: z.string().regex(/^[0-9]{1,6}$/, `must be a number of seconds from ${MIN_DURATION_SECONDS} to ${MAX_DURATION_SECONDS}`).transform(Number)
    .refine((seconds) => seconds >= MIN_DURATION_SECONDS && seconds <= MAX_DURATION_SECONDS, `must be from ${MIN_DURATION_SECONDS} to ${MAX_DURATION_SECONDS} seconds`).optional(),
});

/** What this server does not offer, refused rather than ignored: a caller relying on it would get more than it asked. */
const REFUSED_PARAMS: [RegExp, string][] = [
  [/^Policy$/, 'Policy: session policies are not supported here; the role credentials act on the license token\'s license only'],
  [/^PolicyArns\./, 'PolicyArns: session policies are not supported here; the role credentials act on the license token\'s license only'],
  [/^ProviderId$/, 'ProviderId: the web identity provider is this server, named by the token itself'],
];

/**
 * STS's AssumeRoleWithWebIdentity (awsQuery: a form-encoded POST, XML answers and errors), so
 * that `@aws-sdk/client-sts` and the SDKs' `fromWebToken` and `fromTokenFile` credential providers
 * turn a license access token into role credentials with only their endpoint changed.
 */
export function stsApi(roles: RoleService, deps: EndpointDependencies & {
  /** Calls per address: the call proves nothing before its token is checked, and each leaves credentials behind. */
  unsignedCalls: AddressRate;
  onAssumed(fields: { clientId: string; userId?: string; resource: string; ip: string }): void;
}): Middleware {
  const boundary = awsErrorBoundary(STS_ERRORS, deps);
  return async (ctx, next) => {
    if (ctx.path !== STS_PREFIX && !ctx.path.startsWith(`${STS_PREFIX}/`)) return next();
    nameRoute(ctx, STS_PREFIX);
    ctx.type = 'text/xml';
    await boundary(ctx, async () => {
      const rate = await deps.unsignedCalls.take(ctx.ip);
      if (!rate.allowed) throw stsError('Throttling', `Rate exceeded: this address may call STS ${rate.limit} times a minute; retry after ${rate.retryAfter} s`, rate.retryAfter);
      if (ctx.method !== 'POST' || !ctx.is('application/x-www-form-urlencoded')) throw stsError('InvalidAction', 'STS takes a form-encoded POST (awsQuery)');
      const body = await readRawBody(ctx, deps.maxBodyBytes);
      if (!body) throw STS_ERRORS.validation(`the request body exceeds ${deps.maxBodyBytes} bytes`);
      const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      if (form.Action !== 'AssumeRoleWithWebIdentity' || form.Version !== VERSION) {
        throw stsError('InvalidAction', `Could not find operation ${form.Action ?? '(no Action)'} for version ${form.Version ?? '(no Version)'}: only AssumeRoleWithWebIdentity of ${VERSION} is offered here`);
      }
      nameRoute(ctx, `${STS_PREFIX}#AssumeRoleWithWebIdentity`);
      const refused = REFUSED_PARAMS.find(([name]) => Object.keys(form).some((key) => name.test(key)));
      if (refused) throw STS_ERRORS.validation(refused[1]);
      const params = assumeRoleParams.safeParse(form);
      if (!params.success) {
        const [issue] = params.error.issues;
        throw STS_ERRORS.validation(`${issue!.path.join('.')} ${issue!.message}`);
      }
      const assumed = await roles.assume({
        roleArn: params.data.RoleArn, roleSessionName: params.data.RoleSessionName, webIdentityToken: params.data.WebIdentityToken, durationSeconds: params.data.DurationSeconds,
      }).catch((error: unknown) => {
        throw error instanceof StsRefusal ? stsError(error.code, error.message) : error;
      });
      deps.onAssumed({ clientId: assumed.session.clientId, ...(assumed.session.person === undefined ? {} : { userId: assumed.session.person }), resource: assumed.session.licenseArn, ip: ctx.ip });
      ctx.set('Cache-Control', 'no-store');
      ctx.body = assumedRoleXml(assumed);
    });
  };
}
