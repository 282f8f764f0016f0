// Lint: ESLint's and typescript-eslint's recommended rules over every TypeScript file the type check reads.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The execution-feedback fixtures' sources are broken on purpose: CI reports about them are what those tests read.
  { ignores: ['node_modules/', '.learnloop/', 'dist/', 'test/fixtures/execution-feedback/sources/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring that drops a field, a required parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tool configurations that are CommonJS by their tool's convention (.dependency-cruiser.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // Tests read response bodies of many shapes and assert on the fields; typing each body buys them nothing.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
