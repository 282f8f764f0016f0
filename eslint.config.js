// Lint: typescript-eslint's strict type-checked rules over every TypeScript file the type check reads, with the
// few settings below argued one by one; Prettier owns the layout (prettier.config.js), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The execution-feedback fixtures' sources are broken on purpose: CI reports about them are what those tests read.
  { ignores: ['node_modules/', '.learnloop/', 'dist/', 'test/fixtures/execution-feedback/sources/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring that drops a field, a required parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Numbers in messages and log lines read as they should; objects and nullables still need an explicit form.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowAny: false, allowBoolean: false, allowNullish: false, allowRegExp: false, allowNever: false },
      ],
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' }] },
      ],
    },
  },
  {
    // The workflow bundle runs in Temporal's deterministic sandbox: no Node built-ins, no activity implementations
    // (types only), so a workflow cannot do I/O by accident.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'workflows run in the deterministic sandbox: do I/O in an activity' },
            {
              group: ['../activities/*', '../../activities/*'],
              allowTypeImports: true,
              message: 'workflows call activities through proxyActivities; import their types only',
            },
            {
              group: ['pg', 'pino', 'fastify', 'onnxruntime-node', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'not available in the workflow sandbox',
            },
          ],
          paths: [
            'fs',
            'path',
            'os',
            'crypto',
            'child_process',
            'http',
            'https',
            'net',
            'url',
            'util',
            'events',
            'stream',
            'worker_threads',
          ].map((name) => ({
            name,
            message: 'workflows run in the deterministic sandbox: do I/O in an activity',
          })),
        },
      ],
    },
  },
  {
    // Tool configurations that are CommonJS by their tool's convention (.dependency-cruiser.cjs); not type-checked.
    files: ['**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', process: 'readonly', console: 'readonly' },
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'module' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read response bodies of many shapes and assert on the fields; typing each body buys them nothing.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // A test that reaches past a missing value fails right there, which is what the assertion would say.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
