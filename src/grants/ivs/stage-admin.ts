import { z } from 'zod';

import type { AdminResource } from '../common/admin-resource.js';
import { stageFields } from './config.js';
import { STAGE_ARN_RULE, STAGE_ARN_SHAPE } from './request.js';
import type { IvsStage, IvsStageDirectory } from './stage-directory.js';

const stageBody = {
  name: z.string().max(128).regex(/^[a-zA-Z0-9-_]*$/, 'may contain only letters, digits, - and _').default('').meta({ description: 'As IVS names stages' }),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
  ...stageFields,
};

const stageView = z.object({ arn: z.string(), ...stageBody });

/**
 * The stages through the Admin API: the configuration's (read-only), and those created here or
 * with CreateStage, whose admission (maxParticipants, maxPublishers, onePerPerson) operators
 * change while the stage is live. A change holds for the next minting and exchange on every instance.
 */
export function stageAdminResource(stages: IvsStageDirectory): AdminResource<IvsStage> {
  return {
    resource: 'stages',
    noun: 'stage',
    id: { name: 'arn', description: 'The stage ARN, URL-encoded' },
    collection: stages.collection,
    view: ({ item: { configured: _configured, ...stage } }) => stage,
    viewSchema: stageView,
    body: z.strictObject({
      arn: z.string().optional().meta({ description: 'If given, the path\'s ARN: a stage cannot be renamed' }),
      source: z.string().optional().meta({ description: 'Read-only; when given, the stage\'s' }),
      ...stageBody,
    }),
    itemOf: (arn, body) => ({ ...(body as Omit<IvsStage, 'arn' | 'configured'>), arn, configured: false }),
    creation: 'put',
    idProblem: (arn) => (arn.length <= 128 && STAGE_ARN_SHAPE.test(arn) ? undefined : `arn ${STAGE_ARN_RULE}, of at most 128 characters`),
    summaries: {
      list: 'List the stages: the configuration file\'s, then those created here or with CreateStage, by ARN',
      get: 'Read a stage, with whom it admits',
      put: 'Create a stage, or change one (its endpoints, tags and admission: maxParticipants, maxPublishers, onePerPerson) on every instance within a second',
      delete: 'Delete a stage: no token is minted or exchanged for it any more',
    },
  };
}
