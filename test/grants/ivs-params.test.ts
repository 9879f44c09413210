import { describe, expect, it } from 'vitest';

import { parseIvsParams } from '../../src/grants/ivs/params.js';

const STAGE_ARN = 'arn:aws:ivs:us-east-1:123456789012:stage/AbCd-1234';

function accepted(raw: Parameters<typeof parseIvsParams>[0]) {
  const result = parseIvsParams(raw);
  if (!result.ok) throw new Error(`expected the parameters to be accepted, got: ${result.message}`);
  return result.value;
}

describe('IVS token request parameters', () => {
  it('default to 720 minutes and both capabilities when only the stage is given', () => {
    expect(accepted({ stage_arn: STAGE_ARN })).toStrictEqual({
      stageArn: STAGE_ARN,
      durationMinutes: 720,
      userId: undefined,
      attributes: undefined,
      capabilities: ['PUBLISH', 'SUBSCRIBE'],
    });
  });

  it('read the duration as whole minutes', () => {
    expect(accepted({ stage_arn: STAGE_ARN, duration: '20160' }).durationMinutes).toBe(20160);
  });

  it('read the attributes JSON into an object', () => {
    expect(accepted({ stage_arn: STAGE_ARN, attributes: '{"seat":"12","name":"Zoë"}' }).attributes).toStrictEqual({ seat: '12', name: 'Zoë' });
  });

  it('accept attributes of exactly 1024 bytes', () => {
    const attributes = JSON.stringify({ a: 'x'.repeat(1024 - '{"a":""}'.length) });
    expect(Buffer.byteLength(attributes)).toBe(1024);
    expect(accepted({ stage_arn: STAGE_ARN, attributes }).attributes?.a).toHaveLength(1016);
  });

  it('keep the capabilities asked for', () => {
    expect(accepted({ stage_arn: STAGE_ARN, capabilities: ['SUBSCRIBE'] }).capabilities).toStrictEqual(['SUBSCRIBE']);
  });

  it('keep an empty capability list empty rather than granting both', () => {
    expect(accepted({ stage_arn: STAGE_ARN, capabilities: [] }).capabilities).toStrictEqual([]);
  });

  it('keep the user id, even an empty one', () => {
    expect(accepted({ stage_arn: STAGE_ARN, user_id: '' }).userId).toBe('');
  });

  const attributesOf = (bytes: number) => JSON.stringify({ a: 'é'.repeat((bytes - '{"a":""}'.length) / 2) });

  it.each([
    ['a missing stage', { stage_arn: undefined }, 'stage_arn', /stage_arn is required/],
    ['an empty stage', { stage_arn: '' }, 'stage_arn', /stage_arn/],
    ['a channel ARN', { stage_arn: 'arn:aws:ivs:us-east-1:123456789012:channel/abc' }, 'stage_arn', /stage_arn must be an IVS stage ARN/],
    ['a stage ARN over 128 characters', { stage_arn: `${STAGE_ARN}${'a'.repeat(100)}` }, 'stage_arn', /stage_arn must be at most 128/],
    ['a stage sent twice', { stage_arn: [STAGE_ARN, STAGE_ARN] }, 'stage_arn', /stage_arn must be sent once/],
    ['a duration of 0', { duration: '0' }, 'duration', /duration must be an integer from 1 to 20160 \(minutes\)/],
    ['a duration over two weeks', { duration: '20161' }, 'duration', /duration must be an integer from 1 to 20160/],
    ['a fractional duration', { duration: '1.5' }, 'duration', /duration must be an integer/],
    ['a negative duration', { duration: '-5' }, 'duration', /duration must be an integer/],
    ['a duration that is not a number', { duration: 'soon' }, 'duration', /duration must be an integer/],
    ['a duration sent twice', { duration: ['5', '10'] }, 'duration', /duration must be sent once/],
    ['a user id over 128 characters', { user_id: 'u'.repeat(129) }, 'user_id', /user_id must be at most 128/],
    ['a user id sent twice', { user_id: ['a', 'b'] }, 'user_id', /user_id must be sent once/],
    ['attributes that are not JSON', { attributes: 'seat=12' }, 'attributes', /attributes must be a JSON object/],
    ['attributes that are an array', { attributes: '["12"]' }, 'attributes', /attributes must be a JSON object/],
    ['attributes that are null', { attributes: 'null' }, 'attributes', /attributes must be a JSON object/],
    ['an attribute that is a number', { attributes: '{"seat":12}' }, 'attributes', /values are all strings/],
    ['an attribute that is an object', { attributes: '{"seat":{"row":"1"}}' }, 'attributes', /values are all strings/],
    ['attributes of 1026 UTF-8 bytes in fewer characters', { attributes: attributesOf(1026) }, 'attributes', /attributes must be at most 1024 bytes/],
    ['attributes sent twice', { attributes: ['{}', '{}'] }, 'attributes', /attributes must be sent once/],
    ['an unknown capability', { capabilities: ['ADMIN'] }, 'capabilities', /capabilities may only contain PUBLISH and SUBSCRIBE/],
    ['a lower-case capability', { capabilities: ['publish'] }, 'capabilities', /capabilities may only contain/],
    ['a capability named twice', { capabilities: ['PUBLISH', 'PUBLISH'] }, 'capabilities', /capabilities must not name a capability twice/],
  ])('refuse %s, naming the field', (_, params, field, message) => {
    const result = parseIvsParams({ stage_arn: STAGE_ARN, ...params });
    expect(result).toMatchObject({ ok: false, field });
    if (result.ok) return;
    expect(result.message).toContain(field);
    expect(result.message).toMatch(message);
  });
});
