// Builds the player page into OUTDIR (default: dist/): player.js (bundled
// from src/ with esbuild) and index.html. Run by meson (see web/meson.build)
// and by `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2] || join(here, 'dist');
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(here, 'src/player.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  sourcemap: false,
  outfile: join(outdir, 'player.js'),
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/index.html'), join(outdir, 'index.html'));
