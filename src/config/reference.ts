import { z } from 'zod';

/** Where the configuration reference is kept, and the command that writes it there. */
export const CONFIG_REFERENCE = { path: 'docs/configuration.md', command: 'npm run docs:config' } as const;

/** A setting as zod writes it in JSON Schema, with the configuration's own note of what its absence means. */
interface Setting {
  type?: string;
  title?: string;
  description?: string;
  absent?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Setting[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  properties?: Record<string, Setting>;
  required?: string[];
  items?: Setting;
  additionalProperties?: Setting | boolean;
}

interface Row {
  path: string;
  setting: Setting;
  required: boolean;
}

/**
 * The configuration reference, in Markdown: every setting by its path (`limits.login.lockoutSeconds`,
 * `trustedIssuers[].id`, `groups.<name>.video_roles`) with its type, its default and its
 * description, as the schema states them. The top-level settings that carry a title open a
 * section of their own, introduced by their description; the others are listed first.
 */
export function configReference(schema: z.ZodType): string {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Setting;
  const topLevel = rowsOf(root, '');
  const sections = topLevel.filter(({ setting }) => setting.title !== undefined);
  const blocks = [
    `# ${root.title}`,
    `<!-- Generated from the configuration schema by \`${CONFIG_REFERENCE.command}\`; change the schema's descriptions, not this file. -->`,
    root.description,
    '## Top-level settings',
    table(topLevel.filter(({ setting }) => setting.title === undefined).flatMap((row) => [row, ...nestedRows(row)])),
    ...sections.flatMap(sectionOf),
  ];
  return `${blocks.filter((block) => block !== undefined).join('\n\n')}\n`;
}

function sectionOf(row: Row): string[] {
  const { path, setting } = row;
  return [
    `## ${setting.title} (\`${path}\`)`,
    setting.description ?? undefinedDescription(path),
    ...(setting.examples ?? []).map((example) => `\`\`\`json\n${JSON.stringify(example, null, 2)}\n\`\`\``),
    table(nestedRows(row)),
  ];
}

/** The settings an object holds, each under its path. */
function rowsOf(object: Setting, prefix: string): Row[] {
  return Object.entries(object.properties ?? {}).map(([key, setting]) => ({
    path: `${prefix}${key}`,
    setting,
    required: object.required?.includes(key) ?? false,
  }));
}

/** The settings within a setting: an object's, each entry's of a list, each value's of a map; and theirs in turn. */
function nestedRows({ path, setting }: Row): Row[] {
  const holder = holderOf(setting);
  if (holder === undefined) return [];
  return rowsOf(holder.object, `${path}${holder.infix}`).flatMap((row) => {
    const nested = nestedRows(row);
    // An object that only groups settings is no setting itself: its own are listed.
    const groupsOnly = row.setting.type === 'object' && row.setting.properties !== undefined && row.setting.description === undefined;
    return groupsOnly ? nested : [row, ...nested];
  });
}

function holderOf(setting: Setting): { object: Setting; infix: string } | undefined {
  if (setting.properties !== undefined) return { object: setting, infix: '.' };
  if (setting.items?.properties !== undefined) return { object: setting.items, infix: '[].' };
  const values = setting.additionalProperties;
  if (typeof values === 'object' && values.properties !== undefined) return { object: values, infix: '.<name>.' };
  return undefined;
}

function table(rows: Row[]): string {
  const lines = rows.map(({ path, setting, required }) => {
    const cells = [`\`${path}\``, typeOf(setting), defaultOf(setting, required), setting.description ?? undefinedDescription(path)];
    return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  });
  return ['| setting | type | default | meaning |', '|---|---|---|---|', ...lines].join('\n');
}

function undefinedDescription(path: string): never {
  throw new Error(`${path} has no description`);
}

function defaultOf(setting: Setting, required: boolean): string {
  if (setting.default !== undefined) return `\`${JSON.stringify(setting.default)}\``;
  if (setting.absent !== undefined) return setting.absent;
  return required ? 'required' : 'none';
}

function typeOf(setting: Setting): string {
  if (setting.anyOf) return setting.anyOf.map(typeOf).join(' or ');
  if (setting.const !== undefined) return `\`${String(setting.const)}\``;
  if (setting.enum) return listed(setting.enum.map((value) => `\`${String(value)}\``));
  switch (setting.type) {
    case 'integer':
    case 'number':
      return `${setting.type}${rangeOf(setting.minimum, setting.maximum, '')}`;
    case 'string':
      return stringTypeOf(setting);
    case 'array':
      return `array of ${setting.items ? typeOf(setting.items) : 'anything'}${setting.minItems ? `, at least ${setting.minItems}` : ''}`;
    case 'object':
      return typeof setting.additionalProperties === 'object' && setting.properties === undefined && setting.additionalProperties.type !== undefined
        ? `map: string → ${typeOf(setting.additionalProperties)}`
        : 'object';
    case undefined:
      return 'any JSON value';
    default:
      return setting.type;
  }
}

const FORMATS: Readonly<Record<string, string>> = { uri: 'URL', ipv4: 'IPv4 address', ipv6: 'IPv6 address' };

function stringTypeOf(setting: Setting): string {
  const format = setting.format === undefined ? undefined : FORMATS[setting.format];
  if (format !== undefined) return format;
  // A bound of one character only refuses the empty string, which says nothing a reader needs.
  const minLength = (setting.minLength ?? 0) > 1 ? setting.minLength : undefined;
  return `string${rangeOf(minLength, setting.maxLength, ' characters')}`;
}

/** Bounds as a reader says them; JSON Schema's safe-integer bounds of an unbounded integer are none. */
function rangeOf(minimum: number | undefined, maximum: number | undefined, unit: string): string {
  const min = minimum !== undefined && Number.isSafeInteger(minimum) && minimum > Number.MIN_SAFE_INTEGER ? minimum : undefined;
  const max = maximum !== undefined && maximum < Number.MAX_SAFE_INTEGER ? maximum : undefined;
  if (min !== undefined && max !== undefined) return `, ${min}–${max}${unit}`;
  if (min !== undefined) return `, ${min}+${unit}`;
  if (max !== undefined) return `, at most ${max}${unit}`;
  return '';
}

function listed(values: string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}
