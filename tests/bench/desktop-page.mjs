// For the sound benchmarks' browser sides (audio-latency.mjs,
// av-sync-webrtc.mjs): Chromium with its audio output kept, signed in to
// vdid's web client, in a session's desktop view once it plays over WebRTC
// with an audio track.
import { launch } from '../browser/chromium.mjs';

/** @returns {Promise<{page: import('playwright-core').Page, close: () => Promise<void>}>} */
export async function openDesktop(base, user, password, id) {
  const { ctx, close } = await launch({ sound: true });
  const page = await ctx.newPage();
  await page.goto(base + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#sessions-view:not([hidden])');
  await page.evaluate((i) => (location.hash = `#/s/${i}`), id);
  await page.waitForFunction(() => window.vdiApp.desktop?.conn?.state === 'playing', null, { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('video').srcObject?.getAudioTracks().length > 0, null, { timeout: 10000 });
  return { page, close };
}
