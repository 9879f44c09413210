/**
 * The practical ceiling of a signing-bound endpoint on this machine: a bare node:http server that
 * reads the form and answers one ES384 JWT per request, signed as stagepass signs IVS tokens,
 * nothing else. Driven exactly like the IVS rounds, load generator included.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import { signCompactJws } from '../src/keys/compact-jws.js';

const port = Number(process.env.PORT);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });

createServer((request, response) => {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => (body += chunk));
  request.on('end', () => {
    const form = new URLSearchParams(body);
    const now = Math.floor(Date.now() / 1000);
    const claims = { exp: now + 43_200, iat: now, resource: form.get('stage_arn'), user_id: form.get('user_id'), version: '1.0' };
    signCompactJws({ alg: 'ES384', typ: 'JWT' }, claims, { alg: 'ES384', key: privateKey }).then((token) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: token }));
    }, () => {
      response.writeHead(500);
      response.end();
    });
  });
}).listen(port, '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
