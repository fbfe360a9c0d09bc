// Lint: typescript-eslint's recommended rules, plus the promise rules a message-passing codebase
// needs most (a dropped promise is a lost error; an async listener is an unhandled one).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-e2e/**', 'dist-server/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'lab/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
