import { hashPassword } from '../accounts/password.js';

const password = process.argv[2];
if (!password) {
  process.stderr.write('usage: npm run --silent hash-password -- <password>\n');
  process.exit(2);
}
process.stdout.write(`${await hashPassword(password)}\n`);
