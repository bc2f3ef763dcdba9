// Browser half of bench-webrtc-latency: connects the player page, then for
// each of N presses sends KeyPress/KeyRelease "space" on the data channel
// and watches the presented frames (requestVideoFrameCallback + a 1x1
// canvas read of the picture's centre) until the colour flips. Prints one
// line per press:
//   press I SEND_MS SEEN_MS PRESENTED_MS   (epoch milliseconds, page clock)
// SEEN = the rVFC callback that showed the new colour, PRESENTED = that
// frame's metadata.presentationTime. A press whose flip is not seen within
// 3 s prints `miss I SEND_MS`.
import { launch, unavailableReason } from '../browser/chromium.mjs';

// An optional fourth argument replaces the page's query (e.g. vdid's
// signalling= of a session share: tests/bench/tier-bench.py); a fifth is
// how long (ms) the page watches the still picture before the first press
// (prints `idle MS` then).
const [base, countArg, mode, query, idleArg] = process.argv.slice(2);
const why = unavailableReason();
if (why) {
  console.log(`skip ${why}`);
  process.exit(77);
}
const n = Number(countArg || 200);
const { ctx, close } = await launch();
try {
  const page = await ctx.newPage();
  await page.goto(base + '/' + (query || '?autoconnect=0&stats=0'));
  await page.waitForFunction(() => window.vdi !== undefined);
  if (mode === 'join') {
    // N joins: connect, time to the first presented frame, disconnect.
    page.on('console', (m) => {
      if (m.text().startsWith('join ')) console.log(m.text());
    });
    const r = await page.evaluate(async (count) => {
      const v = document.getElementById('video');
      let failures = 0;
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const c = new window.vdi.SignallingClient(`ws://${location.host}/signalling`);
        await c.ready();
        const s = await c.startSession('');
        v.srcObject = s.stream;
        v.play().catch(() => undefined);
        const t = await new Promise((resolve) => {
          const timer = setTimeout(() => resolve(-1), 5000);
          v.requestVideoFrameCallback(() => {
            clearTimeout(timer);
            resolve(performance.now() - t0);
          });
        });
        if (t < 0) failures++;
        else console.log(`join ${i} ${t.toFixed(1)}`);
        s.close();
        c.close();
        await new Promise((r) => setTimeout(r, 300));
      }
      return { failures };
    }, n);
    console.log(`done ${JSON.stringify(r)}`);
    process.exit(0);
  }
  await page.evaluate(() => window.vdi.connect());
  await page.waitForFunction(() => window.vdi.state.framesPresented > 5 && window.vdi.state.input, null, { timeout: 30000 });
  page.on('console', (m) => {
    if (m.text().startsWith('press ') || m.text().startsWith('miss ')) console.log(m.text());
  });
  const idleMs = Number(idleArg || 0);
  if (idleMs > 0) {
    await page.waitForTimeout(idleMs);
    console.log(`idle ${idleMs}`);
  }
  const result = await page.evaluate(async (count) => {
    const v = document.getElementById('video');
    const c = document.createElement('canvas');
    c.width = c.height = 1;
    const g = c.getContext('2d', { willReadFrequently: true });
    const level = () => {
      g.drawImage(v, v.videoWidth / 2, v.videoHeight / 2, 1, 1, 0, 0, 1, 1);
      return g.getImageData(0, 0, 1, 1).data[0] > 128;
    };
    const epoch = (t) => performance.timeOrigin + t;
    const input = window.vdi.state.input;
    let misses = 0;
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, 40 + Math.random() * 40));
      const before = level();
      const t0 = performance.now();
      input.navigation({ event: 'KeyPress', key: 'space' });
      input.navigation({ event: 'KeyRelease', key: 'space' });
      const seen = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), 3000);
        const cb = (now, meta) => {
          if (level() !== before) {
            clearTimeout(timer);
            resolve({ now: performance.now(), presented: meta.presentationTime });
          } else v.requestVideoFrameCallback(cb);
        };
        v.requestVideoFrameCallback(cb);
      });
      if (!seen) {
        misses++;
        console.log(`miss ${i} ${epoch(t0).toFixed(3)}`);
        continue;
      }
      console.log(`press ${i} ${epoch(t0).toFixed(3)} ${epoch(seen.now).toFixed(3)} ${epoch(seen.presented).toFixed(3)}`);
    }
    return { misses, width: v.videoWidth, height: v.videoHeight };
  }, n);
  console.log(`done ${JSON.stringify(result)}`);
} catch (e) {
  console.log(`done ${JSON.stringify({ error: String(e) })}`);
} finally {
  await close();
}
