import { z } from 'zod';

import type { AccountDirectory } from '../accounts/account-directory.js';
import type { CredentialStamps } from '../accounts/credential-stamps.js';
import type { FactorStore } from '../accounts/factors/factor-store.js';
import type { RuntimeAccounts } from '../accounts/runtime-accounts.js';
import type { Audit } from '../observability/audit.js';
import { notFound } from './admin-error.js';
import { adminOperation, type AdminOperation } from './operation.js';

const factorSchema = z.object({
  id: z.string(),
  type: z.enum(['passkey', 'totp', 'recovery_codes']),
  name: z.string(),
  created: z.string().meta({ description: 'When it was set up (RFC 3339)' }),
  last_used: z.string().nullable().meta({ description: 'When it last signed the person in (RFC 3339), or null' }),
  remaining: z.number().int().optional().meta({ description: 'Recovery codes not used yet' }),
}).meta({ description: 'A sign-in factor; never its secret' });

const PATH = {
  sub: 'The account\'s subject (URL-encoded)',
};

export interface AccountFactorDependencies {
  directory: AccountDirectory;
  runtime: RuntimeAccounts;
  factors: FactorStore;
  audit: Audit;
  credentialStamps: CredentialStamps;
}

/** An account's sign-in factors, as an operator sees them: listed, and removed for a person who lost one. */
export function accountFactorOperations({ directory, runtime, factors, audit, credentialStamps }: AccountFactorDependencies): AdminOperation[] {
  const assertAccount = async (sub: string) => {
    if (!directory.configured(sub) && !(await runtime.find(sub))) throw notFound(`account ${sub}`);
  };
  return [
    adminOperation({
      method: 'GET', path: '/accounts/{sub}/factors', resource: 'accounts', operationId: 'listAccountFactors', access: 'read',
      summary: 'List an account\'s sign-in factors (passkeys, authenticator app, recovery codes): type, name, when set up and last used; never a secret',
      pathParameters: PATH, errors: [404],
      responses: { 200: { description: 'The factors', schema: z.object({ items: z.array(factorSchema) }) } },
      async handle({ params }) {
        await assertAccount(params.sub!);
        return { body: { items: await factors.list(params.sub!) } };
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/accounts/{sub}/factors/{id}', resource: 'accounts', operationId: 'deleteAccountFactor', access: 'write',
      summary: 'Remove a sign-in factor of an account (a person who lost their phone): it signs them in no more, on every instance at once',
      pathParameters: { ...PATH, id: 'The factor\'s id' }, errors: [404],
      responses: { 204: { description: 'Removed' } },
      async handle({ params, actor }) {
        const sub = params.sub!;
        await assertAccount(sub);
        const removed = await factors.remove(sub, params.id!);
        if (!removed) throw notFound(`factor ${params.id} of account ${sub}`);
        // Whoever holds the lost factor may have signed in with it: every browser session of the person ends.
        await credentialStamps.renew(sub);
        audit.factor({ action: 'removed', factorType: removed.type, factorId: removed.id, userId: sub, clientId: actor });
        return { status: 204, change: { id: `${sub}/factors/${removed.id}`, action: 'delete' } };
      },
    }),
  ];
}
