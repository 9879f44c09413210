import { describe, expect, it } from 'vitest';

import { upstreamPerson, upstreamSignInContext } from '../../src/sign-in/upstream/upstream-person.js';

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

  it('keeps at most 100 groups, the first the claim names, however many it names', () => {
    const named = Array.from({ length: 150_000 }, (_, index) => `group-${index}`);
    const { groups } = upstreamPerson(corp, { sub: 'u', groups: named }, SIGNED_IN_AT);
    expect(groups).toEqual(named.slice(0, 100));
  });

  it('keeps at most 100 groups through a map as well', () => {
    const named = Array.from({ length: 150 }, (_, index) => `upstream-${index}`);
    const mapped = { ...corp, groupMap: Object.fromEntries(named.map((name, index) => [name, `crew-${index}`])) };
    expect(upstreamPerson(mapped, { sub: 'u', groups: named }, SIGNED_IN_AT).groups).toHaveLength(100);
  });

  it('drops a name longer than a group\'s 64 characters when it is taken as it is, and maps a long one through the map', () => {
    const long = `CN=Stage Crew,OU=Groups,DC=${'corp,DC='.repeat(8)}example`;
    expect(upstreamPerson(corp, { sub: 'u', groups: ['crew', long, 'x'.repeat(65), 'y'.repeat(64)] }, SIGNED_IN_AT).groups).toEqual(['crew', 'y'.repeat(64)]);
    expect(upstreamPerson({ ...corp, groupMap: { [long]: 'crew' } }, { sub: 'u', groups: [long] }, SIGNED_IN_AT).groups).toEqual(['crew']);
  });
});

describe('how a person an upstream signed in is said to have signed in', () => {
  const asserted = { sub: 'carol', acr: 'urn:corp:acr:mfa', amr: ['pwd', 'otp', 42] };

  it('as the upstream said, when its configuration trusts it (amr values that are not strings left out)', () => {
    expect(upstreamSignInContext({ trustAuthenticationContext: true }, asserted)).toEqual({ acr: 'urn:corp:acr:mfa', amr: ['pwd', 'otp'] });
  });

  it('as a password sign-in otherwise, whatever the upstream said', () => {
    expect(upstreamSignInContext({ trustAuthenticationContext: false }, asserted)).toEqual({ acr: 'urn:stagepass:acr:password' });
    expect(upstreamSignInContext({ trustAuthenticationContext: true }, { sub: 'carol' })).toEqual({ acr: 'urn:stagepass:acr:password' });
  });
});
