// What the browser tests of the web client (web/src/app) share: waiting on
// conditions, a page with the pixel probe, signing in, and the desktop's
// connection state (window.vdiApp, see web/src/app/main.ts).

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls @f until it returns a truthy value (returned) or @timeoutMs passes. */
export async function until(f, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

/** A page of @ctx that logs page errors and can read the video's pixels
 * (window.__videoPixels()). */
export async function newPage(ctx, width = 1024, height = 700) {
  const page = await ctx.newPage();
  await page.setViewportSize({ width, height });
  page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
  page.on('console', (m) => m.type() === 'error' && console.error(`console: ${m.text()}`));
  // The RGBA pixels of the video's current frame (for the picture checks).
  await page.addInitScript(() => {
    window.__videoPixels = () => {
      const v = document.getElementById('video');
      const c = document.createElement('canvas');
      c.width = v.videoWidth;
      c.height = v.videoHeight;
      const g = c.getContext('2d', { willReadFrequently: true });
      g.drawImage(v, 0, 0);
      return { width: c.width, height: c.height, data: g.getImageData(0, 0, c.width, c.height).data };
    };
  });
  return page;
}

/** Signs in through the page's form at @base. */
export async function signIn(page, base, user, password) {
  await page.goto(base + '/');
  await page.waitForSelector('#login-view:not([hidden])');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
}

export const frames = (page) => page.evaluate(() => window.vdiApp.desktop?.conn?.framesPresented ?? 0);
export const connState = (page) => page.evaluate(() => window.vdiApp.desktop?.conn?.state ?? '');

export async function waitFrames(page, n, timeoutMs = 30000) {
  await page.waitForFunction((k) => (window.vdiApp.desktop?.conn?.framesPresented ?? 0) >= k, n, { timeout: timeoutMs });
}
