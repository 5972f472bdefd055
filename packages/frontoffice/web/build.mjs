// Bundles the front office's browser code (web/src, TypeScript with Lit) into assets/js/ with esbuild:
// ESM, code split per page (chunks/), a linked source map, ES2022. The output is build output
// (gitignored); `npm run build` at the root runs this. Types are checked by `tsc -p web` (esbuild only
// strips them). `node build.mjs --watch` rebuilds on every change.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, '..', 'assets', 'js');

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: [join(here, 'src', 'main.ts')],
  tsconfig: join(here, 'tsconfig.json'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  splitting: true,
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  // Smaller, with names kept: an error from a page still names the function it came from.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'utf8',
  legalComments: 'eof',
  logLevel: 'warning',
};

rmSync(outdir, { recursive: true, force: true });
if (process.argv.includes('--watch')) {
  const ctx = await esbuild.context({ ...options, logLevel: 'info' });
  await ctx.watch();
} else {
  await esbuild.build(options);
}
