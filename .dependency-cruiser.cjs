// The layering of ../shared/ARCHITECTURE.md, enforced (rule 1: dependencies point down, never up).
// kernel ← storage ← objects; kernel ← dialogue; comms and monitor build on those; frontoffice on top;
// tools and examples use packages; packages never use tools. A package reaches another only through
// its public entry point (@caruso/<name>, or its ./testing entry from tests), never its internals.
//
// Do not relax these rules. Exceptions, where old code cannot comply yet, go in KNOWN_EXCEPTIONS
// with a reason, and that list only shrinks.
const KNOWN_EXCEPTIONS = [];

/** Which packages each package may import (besides itself). */
const ALLOWED = {
  kernel: [],
  storage: ['kernel'],
  objects: ['kernel', 'storage'],
  dialogue: ['kernel', 'storage'],
  comms: ['kernel', 'storage', 'objects', 'dialogue'],
  monitor: ['kernel', 'storage', 'objects', 'dialogue', 'comms'],
  frontoffice: ['kernel', 'storage', 'objects', 'dialogue', 'comms', 'monitor'],
};
const ALL = Object.keys(ALLOWED);

const forbidden = [
  {
    name: 'no-package-imports-tools-or-examples',
    comment: 'packages never use tools or examples',
    severity: 'error',
    from: { path: '^packages/' },
    to: { path: '^(tools|examples)/' },
  },
  {
    name: 'no-deep-package-imports',
    comment: 'only the public entry points @caruso/<pkg>, @caruso/<pkg>/testing (and the browser-safe /expression, /phone) may be imported',
    severity: 'error',
    from: {},
    to: { path: 'node_modules/@caruso/[^/]+/(?!(dist/index|dist/(testing|expression|phone)/index|package\\.json))' },
  },
  {
    name: 'not-to-undeclared-dependency',
    comment: 'a package imports only what its own package.json declares',
    severity: 'error',
    from: { path: '^(packages|tools|examples)/[^/]+/src/' },
    to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
  },
  {
    name: 'no-circular',
    severity: 'error',
    from: { path: '^(packages|tools)/' },
    to: { circular: true, dependencyTypesNot: ['type-only'] },
  },
];
// A package's own files are private: another package, tool or example imports only its entry points.
for (const pkg of ALL) {
  forbidden.push({
    name: `no-internals-of-${pkg}`,
    comment: `import @caruso/${pkg} (or @caruso/${pkg}/testing), never a file inside packages/${pkg}`,
    severity: 'error',
    from: { pathNot: `^packages/${pkg}/` },
    to: { path: `^packages/${pkg}/`, pathNot: `^packages/${pkg}/(src/index\\.ts|src/(testing|expression|phone)/index\\.ts|dist/index\\.(js|d\\.ts)|dist/(testing|expression|phone)/index\\.(js|d\\.ts)|package\\.json)$` },
  });
}
for (const pkg of ALL) {
  const notAllowed = ALL.filter((p) => p !== pkg && !ALLOWED[pkg].includes(p));
  if (notAllowed.length === 0) continue;
  forbidden.push({
    name: `layering-${pkg}`,
    comment: `${pkg} may import only ${ALLOWED[pkg].join(', ') || 'nothing of Caruso'}`,
    severity: 'error',
    from: { path: `^packages/${pkg}/` },
    to: { path: `^(packages/(${notAllowed.join('|')})/|node_modules/@caruso/(${notAllowed.join('|')})/)` },
  });
}

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: ['node_modules', 'dist'] },
    exclude: { path: ['(^|/)dist/', '(^|/)node_modules/', ...KNOWN_EXCEPTIONS] },
    tsConfig: { fileName: 'tsconfig.tests.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types', 'default'], extensions: ['.ts', '.js'] },
    moduleSystems: ['es6'],
  },
};
