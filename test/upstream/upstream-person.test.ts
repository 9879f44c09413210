import { describe, expect, it } from 'vitest';

import { upstreamPerson } from '../../src/upstream/upstream-person.js';

const SIGNED_IN_AT = 1_800_000_000;
const corp = { id: 'corp', name: 'Corp', groupsClaim: 'groups', groupMap: undefined };

describe('the record of a person an upstream signed in', () => {
  it('is the account <id>:<upstream sub> with the standard claims copied and the others left out', () => {
    const person = upstreamPerson(corp, {
      sub: 'u-42', iss: 'https://login.corp.example', aud: 'stagepass', nonce: 'n', name: 'Carol', email: 'carol@corp.example',
      email_verified: false, locale: 'fr-FR', internal_flag: true,
    }, SIGNED_IN_AT);
    expect(person).toEqual({
      sub: 'corp:u-42',
      provider: 'corp',
      claims: { name: 'Carol', email: 'carol@corp.example', email_verified: false, locale: 'fr-FR' },
      groups: [],
      lastSignInAt: SIGNED_IN_AT,
    });
  });

  it('keeps the upstream group names when there is no map', () => {
    expect(upstreamPerson(corp, { sub: 'u', groups: ['crew', 'finance'] }, SIGNED_IN_AT).groups).toEqual(['crew', 'finance']);
  });

  it('reads groups given as one space-separated string', () => {
    expect(upstreamPerson(corp, { sub: 'u', groups: ' crew  finance ' }, SIGNED_IN_AT).groups).toEqual(['crew', 'finance']);
  });

  it('maps groups through the map and drops the ones it does not name', () => {
    const mapped = { ...corp, groupMap: { crew: 'stage-crew', finance: 'accounting', ops: 'stage-crew' } };
    expect(upstreamPerson(mapped, { sub: 'u', groups: ['crew', 'visitors', 'ops', 'finance', 'toString'] }, SIGNED_IN_AT).groups)
      .toEqual(['stage-crew', 'accounting']);
  });

  it('reads groups from the configured claim and ignores what is not a list of names', () => {
    const roles = { ...corp, groupsClaim: 'roles' };
    expect(upstreamPerson(roles, { sub: 'u', groups: ['ignored'], roles: ['admin', 7, null] }, SIGNED_IN_AT).groups).toEqual(['admin']);
    expect(upstreamPerson(roles, { sub: 'u', roles: { admin: true } }, SIGNED_IN_AT).groups).toEqual([]);
  });
});
