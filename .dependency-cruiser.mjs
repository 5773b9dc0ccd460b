/**
 * Strata's boundaries (docs/architecture.md), checked by `pnpm lint`:
 * - a package never imports a service (packages are libraries; services compose them);
 * - a service never imports another service, except services/platform, the one composing room;
 * - no import cycle anywhere (at run time: type-only imports are erased).
 * A package's integration tests may run a real service as a fixture (a dev dependency); its shipped code may not.
 * packages/docs/test/boundaries.test.ts runs these rules over a fixture tree to prove they fail on a wrong import.
 */
export default {
  forbidden: [
    {
      name: 'package-imports-service',
      severity: 'error',
      comment: 'Packages are libraries and never import a service: move the code into a package, or start the service as a process.',
      from: { path: '^packages/', pathNot: ['^packages/[^/]+/test/', '\\.test\\.ts$'] },
      to: { path: '^services/' },
    },
    {
      name: 'service-imports-service',
      severity: 'error',
      comment: 'Services talk over Kafka, BullMQ and HTTP, never by import; only services/platform composes services.',
      from: { path: '^services/([^/]+)/', pathNot: '^services/platform/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'An import cycle: modules that need each other belong together, or one of them needs a port.',
      from: {},
      // Type-only imports are erased when compiled, so a cycle through one cannot leave a module half-initialised.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '/dist/', '\\.samples/', '^infra/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
}
