import { z } from 'zod';

import { RotationUnderWayError, TooManyKeysError, type KeyDescription, type SigningKeyRing } from '../keys/signing-key-ring.js';
import { conflict } from './admin-error.js';
import { adminOperation, type AdminOperation } from './operation.js';

const moment = z.iso.datetime();

const keySchema = z.object({
  kid: z.string(),
  alg: z.string().meta({ description: 'ES256 (license tokens, and ID tokens of clients that ask for it) or RS256 (ID tokens)' }),
  use: z.literal('sig'),
  status: z.enum(['next', 'current', 'retired']).meta({
    description: 'next: published, not signing yet; current: signs; retired: replaced, published until every token it signed has expired',
  }),
  next_since: moment.meta({ description: 'When it was published' }),
  current_since: moment.meta({ description: 'When it signs from (in the future while next)' }),
  retired_since: moment.optional().meta({ description: 'When a newer key replaces it (in the future while it still signs)' }),
  published_until: moment.optional().meta({ description: 'When it leaves /jwks: once every token it signed has expired' }),
});

const keyListSchema = z.object({ items: z.array(keySchema) });

/** Only public facts about a key: the private key never leaves the key set. */
const view = (key: KeyDescription) => ({
  kid: key.kid,
  alg: key.alg,
  use: key.use,
  status: key.status,
  next_since: key.nextSince,
  current_since: key.currentSince,
  ...(key.retiredSince ? { retired_since: key.retiredSince } : {}),
  ...(key.publishedUntil ? { published_until: key.publishedUntil } : {}),
});

export function keyOperations(signingKeys: SigningKeyRing): AdminOperation[] {
  return [
    adminOperation({
      method: 'GET', path: '/keys', resource: 'keys', operationId: 'listKeys', access: 'read',
      summary: 'List the published signing keys, those that sign first, with their statuses and when each begins',
      responses: { 200: { description: 'Every key /jwks publishes now', schema: keyListSchema } },
      async handle() {
        await signingKeys.refresh();
        return { body: { items: signingKeys.list().map(view) } };
      },
    }),
    adminOperation({
      method: 'POST', path: '/keys/rotate', resource: 'keys', operationId: 'rotateKeys', access: 'write',
      summary: 'Add a new ES256 and a new RS256 key: published by every instance at once, they sign keys.promoteAfterSeconds later, when the keys they replace retire',
      responses: { 201: { description: 'The new keys, next until their promotion', schema: keyListSchema } },
      // A rotation under way on this instance, or one that would publish more than 20 keys of an algorithm.
      errors: [409],
      async handle() {
        const added = await signingKeys.rotate().catch((error: unknown) => {
          throw error instanceof RotationUnderWayError || error instanceof TooManyKeysError ? conflict(error.message) : error;
        });
        return { status: 201, body: { items: added.map(view) }, change: { id: added.map((key) => key.kid).join(','), action: 'rotate' } };
      },
    }),
  ];
}
