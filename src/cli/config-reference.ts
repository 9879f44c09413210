import { writeFileSync } from 'node:fs';

import { CONFIG_SCHEMA } from '../app/config.js';
import { CONFIG_REFERENCE, configReference } from '../config/reference.js';

writeFileSync(CONFIG_REFERENCE.path, configReference(CONFIG_SCHEMA));
process.stdout.write(`wrote ${CONFIG_REFERENCE.path}\n`);
