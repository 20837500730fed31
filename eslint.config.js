// typescript-eslint's recommended rules (no type information, so a run takes
// seconds) over the sources, tests, benches and scripts: `npm run lint`, which
// `npm test` runs first.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node's globals, for the plain .mjs scripts (TypeScript checks the .ts files' names itself). */
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'queueMicrotask',
    'performance',
    'structuredClone',
    'TextEncoder',
    'TextDecoder',
    'AbortController',
    'WebAssembly',
    'fetch',
  ].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/', 'dist-test/', 'node_modules/', 'tmp/', '.ci/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: nodeGlobals } },
  {
    rules: {
      // a leading underscore names a parameter or binding kept for its position or its shape
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // closures that outlive a constructor name the server `server` on purpose (hooks handed to subsystems)
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['server'] }],
      // a `let` read by a closure before its one assignment (a socket's data handler) cannot be const
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // off: it flags `let n = 0` before a try that assigns it, and a counter's last `n++`, both deliberate here
      'no-useless-assignment': 'off',
      // off: the errors we rethrow restate the cause in the text they must show (Redis's log lines, test failures)
      'preserve-caught-error': 'off',
    },
  },
  {
    // Node defines these globals as getters: each read of one is a call (~10 ns, measured;
    // Buffer.isBuffer runs in every typed key lookup). The server's modules import them.
    files: ['src/**/*.ts'],
    ignores: ['src/http/dashboard/**'], // the dashboard's page runs in the browser
    rules: {
      'no-restricted-globals': [
        'error',
        ...[
          ['Buffer', "{ Buffer } from 'node:buffer'"],
          ['process', "process from 'node:process'"],
          ['performance', "{ performance } from 'node:perf_hooks'"],
        ].map(([name, from]) => ({ name, message: `import ${from}: the global is a getter` })),
      ],
      // A class field declared without a value starts as undefined (ES2022 fields, as
      // TypeScript emits them). V8 then keeps the field tagged, and each store of a number that
      // is not a small integer (a time in ms, a fraction, an offset past 2^31) allocates a
      // HeapNumber; a field that held a number from its start stores them in place (measured:
      // bench/RESULTS.md). Parameter properties start undefined too: one that takes such numbers
      // is declared as a field instead.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'PropertyDefinition[value=null][declare!=true] > TSTypeAnnotation > TSNumberKeyword',
          message:
            'give a number field its initial value where it is declared (`= 0`, or DOUBLE_ZERO for one that holds doubles): see eslint.config.js',
        },
      ],
    },
  },
);
