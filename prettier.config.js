// Layout is Prettier's, not a reviewer's: `npm run format` rewrites, `npm run lint` checks. The width fits the
// project's long, descriptive names and messages; everything else is Prettier's default.
export default {
  printWidth: 140,
  singleQuote: true,
  trailingComma: 'all',
};
