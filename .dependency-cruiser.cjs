/**
 * The directions imports may take between stagepass's layers. `npm run depcheck` (run by .ci/run)
 * fails on an import that breaks one. From the top:
 *
 *   main.ts, cli/       entry points
 *   server/             Koa host, composition root, request pipeline, routes, pages
 *   admin/              the Admin API: its operations over the directories below, and their document
 *   aws/                AWS-compatible APIs, translated into the token endpoint and the minters
 *                       (a minter's minter.ts, which hands its API to the server, and the
 *                       plugin interface in grants/common/minter.ts are all of grants/ that
 *                       sees aws/)
 *   provider/           oidc-provider's configuration and patches
 *   grants/             the minters, one folder each
 *   limits/             throttles and rate limits, kept in the store
 *   accounts/, keys/    people who sign in; signing and cookie keys
 *   config/             the typed configuration (takes in the minters' section schemas)
 *   store/              the storage port and its backends
 *   http/, observability/, time/  what every layer shares: body and form reading, the bearer
 *                       check, the store-unavailable answer; the Logger and Audit types; the clock
 */
const layer = (name) => `^src/${name}/`;
const shared = [layer('http'), layer('observability'), layer('time')];

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
      name: 'server-is-the-top',
      severity: 'error',
      comment: 'Only the entry point builds on src/server; what other layers need of it belongs in src/http or src/observability.',
      from: { path: '^src/', pathNot: ['^src/server/', '^src/main\\.ts$'] },
      to: { path: layer('server') },
    },
    {
      name: 'entry-points-are-not-imported',
      severity: 'error',
      from: {},
      to: { path: ['^src/main\\.ts$', layer('cli')] },
    },
    {
      name: 'admin-below-server',
      comment: 'The Admin API changes what the layers below keep; only the composition root mounts it.',
      severity: 'error',
      from: { path: layer('admin') },
      to: { path: [layer('server'), layer('cli'), layer('aws')] },
    },
    {
      name: 'only-the-server-mounts-the-admin-api',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/server/', '^src/admin/'] },
      to: { path: layer('admin') },
    },
    {
      name: 'aws-below-server',
      severity: 'error',
      from: { path: layer('aws') },
      to: { path: [layer('server'), layer('cli')] },
    },
    {
      name: 'provider-below-aws',
      severity: 'error',
      comment: 'oidc-provider is configured without knowing who else answers requests.',
      from: { path: layer('provider') },
      to: { path: [layer('aws'), layer('server')] },
    },
    {
      name: 'grants-below-provider',
      severity: 'error',
      comment: 'A minter registers with oidc-provider through its public API; it knows nothing of how the provider is configured or hosted.',
      from: { path: layer('grants') },
      to: { path: [layer('provider'), layer('server')] },
    },
    {
      name: 'grants-offer-aws-apis-only-from-their-plugin',
      severity: 'error',
      comment: 'A minter\'s plugin (its minter.ts, and the plugin interface) hands the server its AWS-compatible API; the rest of the minter knows nothing of AWS.',
      from: { path: layer('grants'), pathNot: ['^src/grants/[^/]+/minter\\.ts$'] },
      to: { path: layer('aws') },
    },
    {
      name: 'limits-know-only-the-store',
      severity: 'error',
      comment: 'A limit is told its rates; the composition root knows who sets them.',
      from: { path: layer('limits') },
      to: { path: '^src/', pathNot: [layer('limits'), layer('store'), layer('config'), ...shared] },
    },
    {
      name: 'accounts-and-keys-build-only-on-the-store',
      severity: 'error',
      comment: 'People and keys are looked up by every layer above them; they use only the store, the configuration and the shared modules.',
      from: { path: [layer('accounts'), layer('keys')] },
      to: { path: '^src/', pathNot: [layer('accounts'), layer('keys'), layer('store'), ...shared, '^src/config/schema\\.ts$'] },
    },
    {
      name: 'config-takes-in-only-what-it-validates',
      severity: 'error',
      comment: 'The schema uses the stored-password check, the subject rule, the rule for URLs documents are fetched from, and the minters\' own section schemas, nothing else.',
      from: { path: layer('config') },
      to: { path: '^src/', pathNot: [layer('config'), '^src/accounts/password\\.ts$', '^src/accounts/subject\\.ts$', '^src/http/outside-urls\\.ts$', '^src/grants/index\\.ts$'] },
    },
    {
      name: 'store-is-the-bottom',
      severity: 'error',
      comment: 'The storage port serves every layer and uses none but the configuration and the shared modules.',
      from: { path: layer('store') },
      to: { path: '^src/', pathNot: [layer('store'), ...shared, '^src/config/schema\\.ts$'] },
    },
    {
      name: 'shared-modules-are-neutral',
      severity: 'error',
      comment: 'src/http, src/observability and src/time are shared by every layer, so they build on none (but the store error they answer).',
      from: { path: shared },
      to: { path: '^src/', pathNot: [...shared, '^src/store/store\\.ts$'] },
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
