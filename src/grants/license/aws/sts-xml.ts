import { randomUUID } from 'node:crypto';

import type { AwsError } from '../../../aws/aws-error.js';
import type { AssumedRole } from '../role-service.js';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

const escape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' } as const)[c as '<']};`);
const element = (name: string, content: string) => `<${name}>${content}</${name}>`;
const text = (name: string, value: string) => element(name, escape(value));

/** AssumeRoleWithWebIdentity's answer, as STS writes it (awsQuery). */
export function assumedRoleXml({ credentials, subject, audience, provider, assumedRoleArn, assumedRoleId }: AssumedRole): string {
  const result = [
    text('SubjectFromWebIdentityToken', subject),
    text('Audience', audience),
    element('AssumedRoleUser', text('Arn', assumedRoleArn) + text('AssumedRoleId', assumedRoleId)),
    element('Credentials', text('AccessKeyId', credentials.accessKeyId) + text('SecretAccessKey', credentials.secretAccessKey)
      + text('SessionToken', credentials.sessionToken) + text('Expiration', credentials.expiration.toISOString())),
    text('Provider', provider),
  ].join('');
  return `<AssumeRoleWithWebIdentityResponse xmlns="${NAMESPACE}">${element('AssumeRoleWithWebIdentityResult', result)}`
    + `${element('ResponseMetadata', text('RequestId', randomUUID()))}</AssumeRoleWithWebIdentityResponse>`;
}

/** An STS error: the SDK names its exception after `Code`. */
export function stsErrorXml(error: AwsError): string {
  const detail = text('Type', error.status >= 500 ? 'Receiver' : 'Sender') + text('Code', error.exception) + text('Message', error.message);
  return `<ErrorResponse xmlns="${NAMESPACE}">${element('Error', detail)}${text('RequestId', randomUUID())}</ErrorResponse>`;
}
