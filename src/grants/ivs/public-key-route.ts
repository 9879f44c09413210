import { createPublicKey, type KeyObject } from 'node:crypto';

import Router from '@koa/router';

/**
 * The public half of the participant-token key: PEM, as IVS ImportPublicKey takes it, and a JWK
 * (kid = the public key ARN) for anyone verifying tokens themselves.
 */
export function ivsPublicKeyRoute(privateKey: KeyObject, publicKeyArn: string): Router {
  const publicKey = createPublicKey(privateKey);
  const body = {
    publicKeyArn,
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: { ...publicKey.export({ format: 'jwk' }), kid: publicKeyArn, alg: 'ES384', use: 'sig' },
  };
  const router = new Router();
  router.get('/ivs/public-key', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = body;
  });
  return router;
}
