import { hashPassword } from '../../src/accounts/password.js';
import { encodeVideoSessionId } from '../../src/grants/video/session-id.js';
import { IVS_GRANT, LICENSE_GRANT, LICENSES, mintingNativeClient, STAGES, VIDEO_GRANT, VIDEO_PROJECT } from './minters.js';

/** People of the group-policy tests: a host, a viewer in no group, and a second host. */
export const PEOPLE = {
  host: { sub: 'sub-hana', username: 'hana', password: 'hana hosts the show', groups: ['hosts'] },
  viewer: { sub: 'sub-victor', username: 'victor', password: 'victor only watches', groups: [] as string[] },
  cohost: { sub: 'sub-cora', username: 'cora', password: 'cora hosts the late show', groups: ['hosts'] },
};

export type PersonName = keyof typeof PEOPLE;

/** Everyone may watch the main stage; hosts may also publish there, publish video and hold seats of the small license. */
export const GROUPS = {
  '*': { ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['SUBSCRIBE'], video_roles: ['subscriber'] },
  hosts: { ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], video_roles: ['publisher', 'subscriber'], license_arns: [LICENSES.small] },
};

/** A public app that may mint everything: what is minted for a person is decided by the person's groups. */
export const PEOPLE_APP = mintingNativeClient([IVS_GRANT, VIDEO_GRANT, LICENSE_GRANT], {
  ivs_stage_arns: ['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], video_roles: ['publisher', 'publisheronly', 'subscriber', 'moderator'], license_arns: ['*'],
});

export const VIDEO_SESSION = encodeVideoSessionId({ apiKey: VIDEO_PROJECT.apiKey, createdAt: new Date(), mediaMode: 'routed' });

/** The people as configured accounts, their passwords in the stored form. */
export function peopleAccounts() {
  return Promise.all(Object.values(PEOPLE).map(async (person) => ({ ...person, password: await hashPassword(person.password) })));
}
