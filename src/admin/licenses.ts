import { z } from 'zod';

import { licenseSchema, type LicenseConfig } from '../grants/license/config.js';
import type { LicenseDirectory } from '../grants/license/license-directory.js';
import { versionOf } from '../store/versioned-collection.js';
import { conflict, fromConfiguration, invalidRequest, notFound, preconditionFailed } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import { adminOperation, type AdminOperation } from './operation.js';
import { pageOfList, pageQuery, pageSchema } from './paging.js';
import { ABSENT, type ChangeJournal, madeBy, type PendingChange } from './pending-changes.js';

const licenseView = z.object({
  arn: z.string(),
  maxTokens: z.int(),
  maxTokensPerPerson: z.int().optional(),
  source: z.enum(['config', 'api']).meta({ description: 'config: from the configuration file, read-only here' }),
});

/** PUT changes the limits of a license; its ARN is the path's. */
const licenseLimits = licenseSchema.omit({ arn: true }).extend({ arn: z.string().optional().meta({ description: 'If given, the path\'s ARN' }) });

const ARN = { arn: 'The license ARN, URL-encoded' };

type Listed = LicenseConfig & { source: 'config' | 'api'; version?: string };

const view = ({ arn, maxTokens, maxTokensPerPerson, source }: Listed) =>
  ({ arn, maxTokens, ...(maxTokensPerPerson === undefined ? {} : { maxTokensPerPerson }), source });
const etag = (license: Listed) => etagOf(license.version ?? JSON.stringify(view(license)));

export function licenseOperations(licenses: LicenseDirectory): AdminOperation[] {
  const find = async (arn: string): Promise<Listed | undefined> => {
    if (licenses.isConfigured(arn)) return { ...licenses.configured.find((license) => license.arn === arn)!, source: 'config' };
    const stored = await licenses.findStored(arn);
    return stored && { ...stored.item, source: 'api', version: stored.version };
  };
  /** The license, once a change left pending on it is finished. */
  const settled = async (arn: string, journal: ChangeJournal) => {
    const finished = await journal.settle(arn, async (pending) => madeBy(pending, await licenses.findStored(arn)));
    return { finished, current: await find(arn) };
  };
  const existing = (license: Listed | undefined, arn: string) => {
    if (!license) throw notFound(`license ${arn}`);
    return license;
  };
  /** This call sent again after its answer was lost, when the license is what it asks for: answered as it would have been. */
  const answerAgain = (finished: PendingChange | undefined, current: Listed | undefined, to: string, journal: ChangeJournal) =>
    (journal.isOwn(finished) && current?.version !== undefined && etagOf(current.version) === to
      ? { status: finished.action === 'create' ? 201 : 200, body: view(current), etag: etag(current) }
      : undefined);
  return [
    adminOperation({
      method: 'GET', path: '/licenses', resource: 'licenses', operationId: 'listLicenses', access: 'read',
      summary: 'List the licenses: the configuration file\'s, then those added here, by ARN', query: pageQuery,
      responses: { 200: { description: 'A page of licenses', schema: pageSchema(licenseView) } },
      async handle({ query }) {
        const configured = licenses.configured.map((license): Listed => ({ ...license, source: 'config' }));
        const stored = (await licenses.listStored()).filter(({ name }) => !licenses.isConfigured(name))
          .map(({ item, version }): Listed => ({ ...item, source: 'api', version }));
        return { body: pageOfList([...configured, ...stored], ({ arn }) => arn, query, view) };
      },
    }),
    adminOperation({
      method: 'POST', path: '/licenses', resource: 'licenses', operationId: 'createLicense', access: 'write',
      summary: 'Add a license tokens may name, on every instance within a second', body: licenseSchema, errors: [409, 415],
      responses: { 201: { description: 'The license, added', schema: licenseView, etag: true } },
      async handle({ body, journal }) {
        if (licenses.isConfigured(body.arn)) throw conflict(`license ${body.arn} is defined in the configuration file`);
        const { finished, current } = await settled(body.arn, journal);
        const to = etagOf(versionOf(body));
        const again = answerAgain(finished, current, to, journal);
        if (again) return again;
        await journal.begin(body.arn, { action: 'create', to });
        const written = await licenses.put(body, undefined);
        if (!written) throw conflict(`license ${body.arn} exists already`);
        const license: Listed = { ...written.item, source: 'api', version: written.version };
        return { status: 201, body: view(license), etag: etag(license), change: { id: body.arn, action: 'create' } };
      },
    }),
    adminOperation({
      method: 'GET', path: '/licenses/{arn}', resource: 'licenses', operationId: 'getLicense', access: 'read',
      summary: 'Read a license', pathParameters: ARN, errors: [404],
      responses: { 200: { description: 'The license', schema: licenseView, etag: true } },
      async handle({ params, journal }) {
        const license = existing((await settled(params.arn!, journal)).current, params.arn!);
        return { body: view(license), etag: etag(license) };
      },
    }),
    adminOperation({
      method: 'PUT', path: '/licenses/{arn}', resource: 'licenses', operationId: 'putLicense', access: 'write',
      summary: 'Change a license\'s limits; tokens already live stay live', pathParameters: ARN, body: licenseLimits, errors: [404, 409, 412, 415],
      responses: { 200: { description: 'The license, changed', schema: licenseView, etag: true } },
      async handle({ params, body, ifMatch, journal }) {
        const arn = params.arn!;
        if (body.arn !== undefined && body.arn !== arn) throw invalidRequest('arn must be the path\'s license ARN (a license cannot be renamed)');
        if (licenses.isConfigured(arn)) throw fromConfiguration(`license ${arn}`);
        const { finished, current: found } = await settled(arn, journal);
        const next: LicenseConfig = { arn, maxTokens: body.maxTokens, ...(body.maxTokensPerPerson === undefined ? {} : { maxTokensPerPerson: body.maxTokensPerPerson }) };
        const to = etagOf(versionOf(next));
        const again = answerAgain(finished, found, to, journal);
        if (again) return again;
        const current = existing(found, arn);
        assertIfMatch(ifMatch, etag(current), `license ${arn}`);
        await journal.begin(arn, { action: 'update', to });
        const written = await licenses.put(next, current.version);
        if (!written) throw preconditionFailed(`license ${arn}`);
        const license: Listed = { ...written.item, source: 'api', version: written.version };
        return { body: view(license), etag: etag(license), change: { id: arn, action: 'update' } };
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/licenses/{arn}', resource: 'licenses', operationId: 'deleteLicense', access: 'write',
      summary: 'Remove a license: no token is minted for it any more, and its tokens stop exchanging', pathParameters: ARN, errors: [404, 409, 412],
      responses: { 204: { description: 'Removed' } },
      async handle({ params, ifMatch, journal }) {
        const arn = params.arn!;
        if (licenses.isConfigured(arn)) throw fromConfiguration(`license ${arn}`);
        const { finished, current: found } = await settled(arn, journal);
        if (journal.isOwn(finished) && finished.action === 'delete') return { status: 204 };
        const current = existing(found, arn);
        assertIfMatch(ifMatch, etag(current), `license ${arn}`);
        await journal.begin(arn, { action: 'delete', to: ABSENT });
        // Gone meanwhile counts as removed: an earlier attempt's removal may have landed late.
        if (!(await licenses.remove(arn, current.version!)) && (await licenses.findStored(arn))) throw preconditionFailed(`license ${arn}`);
        return { status: 204, change: { id: arn, action: 'delete' } };
      },
    }),
  ];
}
