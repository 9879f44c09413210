/**
 * The directions imports may take between stagepass's folders. `npm run depcheck` (run by .ci/run)
 * fails on an import that breaks one, and on any folder that imports a folder importing it back
 * (scripts/folder-cycles.mjs). Each layer builds only on the layers listed after it.
 */
const LAYERS = [
  ['entry points', ['^src/main\\.ts$', '^src/cli/'], 'what a process starts'],
  ['app', ['^src/app/'], 'the composition root and the process lifecycle: it builds every dependency once and says in what order a request meets them'],
  ['admin', ['^src/admin/'], 'the Admin API: its operations over the directories below, and their document'],
  ['sign-in', ['^src/sign-in/'], 'the pages a person signs in and consents on, and sign-in through upstream providers'],
  ['sso-oidc', ['^src/aws/sso-oidc/'], 'the IAM Identity Center OIDC API, answered by the token endpoint and oidc-provider\'s device flow'],
  ['provider', ['^src/provider/'], 'oidc-provider\'s configuration and patches: it is configured without knowing who else answers requests'],
  ['grants', ['^src/grants/'], 'the minters, one folder each with its AWS API in aws/: they register with oidc-provider through its public API only'],
  ['aws', ['^src/aws/[^/]+$'], 'the AWS protocol kit: SigV4, signed clients, endpoints, errors, paging; it knows no minter'],
  ['config', ['^src/config/'], 'the typed configuration: it checks against the shapes the layers below declare'],
  ['limits', ['^src/limits/'], 'throttles and rate limits, kept in the store: a limit is told its rates'],
  ['accounts', ['^src/accounts/'], 'the people who sign in, and who vouches for them'],
  ['keys', ['^src/keys/'], 'signing, cookie and key-encryption keys'],
  ['http', ['^src/http/'], 'the HTTP kit every layer shares: bodies, forms, pages, protocol-neutral middleware, bounded fetches of outside documents'],
  ['store', ['^src/store/'], 'the storage ports and their backends'],
  ['observability', ['^src/observability/'], 'logs, the audit trail and metrics: each port beside its implementation'],
  ['time', ['^src/time/'], 'the clock'],
];

const below = (index) => LAYERS.slice(index + 1).flatMap(([, paths]) => paths);

const layerRules = LAYERS.slice(1).map(([name, paths, why], index) => ({
  name: `${name}-builds-only-on-what-is-below-it`,
  severity: 'error',
  comment: `${name}: ${why}. It imports only itself and the layers after it.`,
  from: { path: paths },
  to: { path: '^src/', pathNot: [...paths, ...below(index + 1)] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: split the module both sides need, or pass the dependency in.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'entry-points-are-not-imported',
      severity: 'error',
      from: {},
      to: { path: LAYERS[0][1] },
    },
    ...layerRules,
    {
      name: 'grants-offer-aws-apis-only-from-their-plugin',
      severity: 'error',
      comment: 'A minter\'s AWS API (its aws/ folder) and its plugin (minter.ts), the plugin interface and the AWS error dialect of minting are all of grants/ that sees the AWS kit.',
      from: { path: '^src/grants/', pathNot: ['^src/grants/[^/]+/aws/', '^src/grants/[^/]+/minter\\.ts$', '^src/grants/common/minting-dialect\\.ts$'] },
      to: { path: '^src/aws/' },
    },
    {
      name: 'config-takes-in-only-what-it-validates',
      severity: 'error',
      comment: 'The schema runs the stored-password check, the subject rule and the rule for URLs documents are fetched from, and names the default token rate; '
        + 'of the layers below it takes in otherwise only the types of the shapes they declare, which its output is checked against.',
      from: { path: '^src/config/' },
      to: {
        path: '^src/',
        pathNot: ['^src/config/', '^src/accounts/password\\.ts$', '^src/accounts/subject\\.ts$', '^src/http/outside-urls\\.ts$', '^src/limits/token-rate\\.ts$'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'the-configuration-reads-without-the-minters',
      severity: 'error',
      comment: 'Reading the configuration loads the minters\' configuration modules only (src/grants/config.ts): no minter, no AWS API, not oidc-provider.',
      from: { path: ['^src/app/config\\.ts$', '^src/config/', '^src/grants/config\\.ts$'] },
      to: { path: ['^src/grants/index\\.ts$', '^src/grants/[^/]+/minter\\.ts$', '^src/grants/[^/]+/aws/', '^src/aws/', 'node_modules/oidc-provider/'], reachable: true },
    },
    {
      name: 'one-seam-into-oidc-provider',
      severity: 'error',
      comment: 'oidc-provider\'s internals are not semver-stable: reach them only through src/provider/oidc-provider-internals.ts.',
      from: { pathNot: '^src/provider/oidc-provider-internals\\.ts$' },
      // The packages' entry points resolve to these files; anything else under them is internal.
      to: { path: ['node_modules/oidc-provider/lib/', 'node_modules/@koa/router/'], pathNot: ['node_modules/oidc-provider/lib/index\\.js$', 'node_modules/@koa/router/dist/index\\.m?js$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
