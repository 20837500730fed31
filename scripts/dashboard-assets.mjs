// Part of `npm run build`: copies the dashboard's static files into
// dist/http/dashboard/, beside the app.js that tsconfig.dashboard.json
// compiles there: its HTML and CSS (src/http/dashboard/) and uPlot's
// browser build and stylesheet with its licence (node_modules/uplot/dist/).
// The server serves them from there (src/http/dashboard.ts); package.json's
// "files" ships dist/, so `npm pack` carries them. Nothing is fetched at run time.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'http', 'dashboard');
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
mkdirSync(out, { recursive: true });
const files = [
  [join(root, 'src', 'http', 'dashboard', 'index.html'), 'index.html'],
  [join(root, 'src', 'http', 'dashboard', 'style.css'), 'style.css'],
  [join(uplot, 'dist', 'uPlot.iife.min.js'), 'uPlot.iife.min.js'],
  [join(uplot, 'dist', 'uPlot.min.css'), 'uPlot.min.css'],
  [join(uplot, 'LICENSE'), 'uPlot.LICENSE'],
];
for (const [from, name] of files) copyFileSync(from, join(out, name));
