// The layers of ARCHITECTURE.md, bottom-up: platform, features, examples, entry points. Imports point down only.
const platform = '^src/(config|log)[.]ts$|^src/(db|temporal|router|models|rollout|training|net|platform)/';
const features = '^src/(retraining|learning|ab-testing|execution-feedback|schedules)/|^workflows/|^activities/';
const examples = '^src/(reference|simulate)/|^src/learning/applications/';
const entryPoints = '^src/cli/|^workers/|^bench/';
const tests = '^test/';

const upward = (name, from, ...to) => ({
  name,
  severity: 'error',
  comment: `${name}: an import that runs up the layers (ARCHITECTURE.md)`,
  from: { path: from },
  to: { path: to.join('|') },
});

module.exports = {
  forbidden: [
    upward('platform-imports-higher-layer', platform, features, examples, entryPoints, tests),
    { ...upward('feature-imports-higher-layer', features, examples, entryPoints, tests), from: { path: features, pathNot: examples } },
    upward('example-imports-higher-layer', examples, entryPoints, tests),
    upward('entry-point-imports-tests', entryPoints, tests),
    { name: 'no-circular', severity: 'error', comment: 'an import circle', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|[.]learnloop|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
