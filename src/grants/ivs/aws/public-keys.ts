import { newParticipantId } from '../participant-token.js';
import { pageOf } from '../../../aws/pagination.js';
import { assertMayManageIvs, type IvsCall } from './access.js';
import { assertArnUsable, IVS_ERRORS, ivsError } from './errors.js';
import { publicKeyArn, type ImportPublicKeyInput, type ListInput } from './inputs.js';
import { describePublicKey, parsePublicKey, type IvsPublicKey, type IvsPublicKeyDirectory } from './public-key-directory.js';

/** Participant tokens are ES384: IVS takes P-384 keys. */
const P384 = 'secp384r1';

/** ImportPublicKey, GetPublicKey and ListPublicKeys. */
export function publicKeyOperations({ keys, account }: { keys: IvsPublicKeyDirectory; account: string }) {
  return {
    async importPublicKey(input: ImportPublicKeyInput, call: IvsCall) {
      assertMayManageIvs(call, 'import public keys');
      const publicKey = parsePublicKey(input.publicKeyMaterial);
      if (!publicKey || publicKey.type !== 'public') throw ivsError('ValidationException', 'publicKeyMaterial must be a PEM public key (BEGIN PUBLIC KEY)');
      if (publicKey.asymmetricKeyDetails?.namedCurve !== P384) throw ivsError('ValidationException', 'publicKeyMaterial must be an ECDSA P-384 public key');
      const described = describePublicKey(publicKey);
      const existing = (await keys.list()).find((key) => key.fingerprint === described.fingerprint);
      if (existing) throw ivsError('ConflictException', `this key is already imported as ${existing.arn}`);
      // IVS resource ids share the participant ids' shape: 12 alphanumerics.
      const arn = `arn:aws:ivs:${call.signed.region}:${account}:public-key/${newParticipantId()}`;
      assertArnUsable(arn, publicKeyArn);
      const key: IvsPublicKey = {
        arn,
        name: input.name ?? '',
        tags: input.tags ?? {},
        ...described,
      };
      await keys.import(key);
      return { publicKey: key };
    },

    async getPublicKey({ arn }: { arn: string }) {
      const key = await keys.find(arn);
      if (!key) throw ivsError('ResourceNotFoundException', `public key ${arn} does not exist`);
      return { publicKey: key };
    },

    async listPublicKeys({ maxResults = 50, nextToken }: ListInput) {
      const page = pageOf(await keys.list(), maxResults, nextToken, IVS_ERRORS.validation);
      return {
        publicKeys: page.items.map(({ arn, name, tags }) => ({ arn, name, tags })),
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      };
    },
  };
}
