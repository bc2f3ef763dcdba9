// Launches Debian's Chromium through playwright-core with the flags the
// project uses (docs/webrtc.md, ../shared design): headless, loopback ICE
// allowed, no mDNS candidates, autoplay. Never downloads a browser.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../web/package.json'));

export const CHROMIUM = process.env.VDI_CHROMIUM || '/usr/bin/chromium';

/** Why browser tests cannot run here, or '' if they can. */
export function unavailableReason() {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium)`;
  try {
    require.resolve('playwright-core');
  } catch {
    return 'playwright-core missing in web/node_modules (run ./scripts/setup)';
  }
  return '';
}

/** @param {{sound?: boolean, args?: string[]}} [options] sound: keep the page's
 * audio output (playwright mutes it by default, which silences media
 * elements even for WebAudio taps); args: extra Chromium flags. */
export async function launch(options = {}) {
  const { chromium } = require('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'vdi-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: options.sound ? ['--mute-audio'] : [],
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--autoplay-policy=no-user-gesture-required', '--use-fake-ui-for-media-stream',
      // Background tabs must keep decoding (several viewers in one browser).
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      ...(options.args ?? []),
    ],
  });
  const close = async () => {
    await ctx.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  };
  return { ctx, close };
}

/** Ends a scenario script with exit status 77 (meson's "skipped") and a
 * `skip REASON` line when Chromium cannot run here or @extra names what else
 * the script misses. */
export function skipIfUnavailable(extra = '') {
  const why = unavailableReason() || extra;
  if (!why) return;
  console.log(`skip ${why}`);
  process.exit(77);
}

/** Runs a scenario's @body the way every script under tests/browser ends:
 * a watchdog of @timeoutMs (VDI_BROWSER_TIMEOUT_MS overrides it) prints
 * `result {"error": "@label timed out"}` and exits 1; what @body returns is
 * printed as `result JSON` (undefined: the body printed its own), an error it
 * throws as `result {"error": stack}`; the browser is closed by @close and
 * @cleanup runs, whatever happened. */
export async function runScenario({ close, cleanup, label = 'browser scenario', timeoutMs = 120000 }, body) {
  const limit = Number(process.env.VDI_BROWSER_TIMEOUT_MS || timeoutMs);
  const watchdog = setTimeout(() => {
    console.log(`result ${JSON.stringify({ error: `${label} timed out` })}`);
    process.exit(1);
  }, limit);
  try {
    const out = await body();
    if (out !== undefined) console.log(`result ${JSON.stringify(out)}`);
  } catch (e) {
    console.log(`result ${JSON.stringify({ error: String(e && e.stack ? e.stack : e) })}`);
  } finally {
    clearTimeout(watchdog);
    await close();
    if (cleanup) await cleanup();
  }
}
