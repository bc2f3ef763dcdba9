// Builds the browser code with esbuild:
//   node build.mjs OUTDIR           the player page of vdiwebrtcsink: OUTDIR/{index.html,player.js}
//   node build.mjs --app OUTDIR     the web client served by vdid: OUTDIR/{index.html,app.js,app.css}
// Both bundle the shared modules of src/ (signalling, input, stats); the
// client also bundles hls.js, so nothing is fetched from a CDN at run time.
// Run by meson (web/meson.build, web/app/meson.build) and by `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const app = args[0] === '--app';
const outdir = (app ? args[1] : args[0]) || join(here, 'dist', app ? 'app' : '');
mkdirSync(outdir, { recursive: true });
const common = { bundle: true, format: 'esm', target: 'es2020', sourcemap: false, logLevel: 'warning' };
if (app) {
  await build({
    ...common,
    entryPoints: [join(here, 'src/app/main.ts')],
    outfile: join(outdir, 'app.js'),
    minify: true,
    legalComments: 'none',
  });
  copyFileSync(join(here, 'src/app/index.html'), join(outdir, 'index.html'));
  copyFileSync(join(here, 'src/app/app.css'), join(outdir, 'app.css'));
} else {
  await build({ ...common, entryPoints: [join(here, 'src/player.ts')], outfile: join(outdir, 'player.js') });
  copyFileSync(join(here, 'src/index.html'), join(outdir, 'index.html'));
}
