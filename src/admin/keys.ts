import { z } from 'zod';

import { KeyNotRetiredError, RotationUnderWayError, TooManyKeysError, type KeyDescription, type SigningKeyRing } from '../keys/signing-key-ring.js';
import { conflict, notFound } from './admin-error.js';
import { adminOperation, type AdminOperation } from './operation.js';
import type { ChangeJournal } from './pending-changes.js';

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

/** The item a rotation left pending is noted under: the key set as a whole. */
const KEY_SET = 'key-set';

export function keyOperations(signingKeys: SigningKeyRing): AdminOperation[] {
  /** The keys as the store holds them, once a rotation left pending is finished: made when its keys are in the set. */
  const settled = async (journal: ChangeJournal) => {
    await signingKeys.refresh();
    const finished = await journal.settle(KEY_SET, async (pending) => {
      const listed = new Set(signingKeys.list().map((key) => key.kid));
      // A rotation is made when its keys are listed; a withdrawal, when its key is not.
      if (pending.action === 'delete') return !listed.has(pending.to);
      return pending.to.split(',').every((kid) => listed.has(kid));
    });
    return { finished, keys: signingKeys.list() };
  };
  return [
    adminOperation({
      method: 'GET', path: '/keys', resource: 'keys', operationId: 'listKeys', access: 'read',
      summary: 'List the published signing keys, those that sign first, with their statuses and when each begins',
      responses: { 200: { description: 'Every key /jwks publishes now', schema: keyListSchema } },
      async handle({ journal }) {
        return { body: { items: (await settled(journal)).keys.map(view) } };
      },
    }),
    adminOperation({
      method: 'POST', path: '/keys/rotate', resource: 'keys', operationId: 'rotateKeys', access: 'write',
      summary: 'Add a new ES256 and a new RS256 key: published by every instance at once, they sign keys.promoteAfterSeconds later, when the keys they replace retire',
      responses: { 201: { description: 'The new keys, next until their promotion', schema: keyListSchema } },
      // A rotation under way on this instance, or one that would publish more than 20 keys of an algorithm.
      errors: [409],
      async handle({ journal }) {
        const { finished, keys } = await settled(journal);
        // This call sent again after its answer was lost: answered with the keys it added.
        if (journal.isOwn(finished) && finished.action === 'rotate') {
          const kids = finished.to.split(',');
          return { status: 201, body: { items: keys.filter((key) => kids.includes(key.kid)).map(view) } };
        }
        let id = '';
        const noted = (kids: string[]) => {
          id = kids.join(',');
          return journal.begin(KEY_SET, { action: 'rotate', to: id, auditId: id });
        };
        const added = await signingKeys.rotate(noted).catch((error: unknown) => {
          throw error instanceof RotationUnderWayError || error instanceof TooManyKeysError ? conflict(error.message) : error;
        });
        return { status: 201, body: { items: added.map(view) }, change: { id, action: 'rotate' } };
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/keys/{kid}', resource: 'keys', operationId: 'withdrawKey', access: 'write',
      summary: 'Withdraw a retired key: it leaves /jwks on every instance at once, and every token it signed stops verifying (a key that leaked, or one long-lived tokens keep published)',
      pathParameters: { kid: 'The key id, as GET /keys lists it' },
      responses: { 204: { description: 'Withdrawn' } },
      // 404: no such key is published. 409: the key signs, or is about to.
      errors: [404, 409],
      async handle({ params, journal }) {
        const kid = params.kid!;
        const { finished } = await settled(journal);
        if (journal.isOwn(finished) && finished.action === 'delete' && finished.to === kid) return { status: 204 };
        const withdrawn = await signingKeys.withdraw(kid, () => journal.begin(KEY_SET, { action: 'delete', to: kid })).catch((error: unknown) => {
          throw error instanceof KeyNotRetiredError ? conflict(error.message) : error;
        });
        if (!withdrawn) throw notFound(`a published key ${kid}`);
        return { status: 204, change: { id: kid, action: 'delete' } };
      },
    }),
  ];
}
