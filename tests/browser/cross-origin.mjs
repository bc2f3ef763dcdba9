// Third-party players of a vdid session on pages of another origin (CORS,
// `[server] allowed-origins`): a WHEP client (`whip-whep`'s WHEPClient, npm)
// and hls.js (npm), both unmodified, in real Chromium.
//
//   node cross-origin.mjs VDID_BASE SESSION_ID TOKEN ALLOWED_PORT
//
// Serves one page on 127.0.0.1:ALLOWED_PORT (an origin vdid allows) and the
// same page on a free port (one it does not). Prints one "result {json}":
// frames each player showed on the allowed origin, and whether the API
// and WHEP were refused to the other one.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, runScenario, skipIfUnavailable } from './chromium.mjs';

const [base, session, token, allowedPort] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../web/package.json'));
let files = {};
try {
  files = {
    '/whep.js': readFileSync(join(dirname(require.resolve('whip-whep/package.json')), 'whep.js')),
    '/hls.mjs': readFileSync(join(dirname(require.resolve('hls.js/package.json')), 'dist', 'hls.mjs')),
  };
} catch {
  files = null;
}
skipIfUnavailable(files ? '' : 'whip-whep or hls.js missing in web/node_modules (run ./scripts/setup)');

const html = '<!doctype html><meta charset="utf-8"><video id="whep" muted autoplay playsinline></video><video id="hls" muted autoplay playsinline></video>';
const serve = (port) => new Promise((resolve) => {
  const s = createServer((req, res) => {
    const body = files[req.url];
    res.writeHead(200, { 'Content-Type': body ? 'text/javascript' : 'text/html; charset=utf-8' });
    res.end(body || html);
  });
  s.listen(Number(port), '127.0.0.1', () => resolve(s));
});
const allowed = await serve(allowedPort);
const other = await serve(0);

const { ctx, close } = await launch();
const frames = (id, n, ms) => `new Promise((resolve) => {
  const v = document.getElementById('${id}'); let k = 0;
  const cb = () => (++k >= ${n} ? resolve(k) : v.requestVideoFrameCallback(cb));
  v.requestVideoFrameCallback(cb); setTimeout(() => resolve(k), ${ms});
})`;

await runScenario({
  close,
  label: 'cross-origin scenario',
  timeoutMs: 100000,
  cleanup: () => {
    allowed.close();
    other.close();
  },
}, async () => {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
  await page.goto(`http://127.0.0.1:${allowedPort}/`);
  const out = await page.evaluate(async ({ base, session, token, framesWhep, framesHls }) => {
    const r = {};
    // The API with the share token (a preflighted request: Authorization).
    const api = await fetch(`${base}/api/v1/sessions/${session}`, { headers: { Authorization: `Bearer ${token}` } });
    r.api = api.status;
    // WHEP with whip-whep's client: POST (preflighted), PATCH, Location.
    const { WHEPClient } = await import('/whep.js');
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.ontrack = (e) => {
      const v = document.getElementById('whep');
      v.srcObject = e.streams[0] || new MediaStream([e.track]);
      v.play().catch(() => undefined);
    };
    const whep = new WHEPClient();
    try {
      await whep.view(pc, `${base}/whep/${session}`, token);
      r.whepResource = String(whep.resourceURL);
      r.whepFrames = await eval(framesWhep);
      await whep.stop();
    } catch (e) {
      r.whepError = String(e);
    }
    // hls.js, the token in the URL (vdid adds it to the segment URIs).
    const Hls = (await import('/hls.mjs')).default;
    r.hlsSupported = Hls.isSupported();
    const hls = new Hls();
    hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) r.hlsError = `${d.type} ${d.details}`; });
    hls.loadSource(`${base}/hls/${session}/index.m3u8?token=${encodeURIComponent(token)}`);
    hls.attachMedia(document.getElementById('hls'));
    document.getElementById('hls').play().catch(() => undefined);
    r.hlsFrames = await eval(framesHls);
    hls.destroy();
    return r;
  }, { base, session, token, framesWhep: frames('whep', 3, 20000), framesHls: frames('hls', 3, 40000) });

  // The same requests from an origin vdid does not allow: the browser keeps
  // the answers from the page (fetch fails), and no WHEP viewer starts.
  const page2 = await ctx.newPage();
  await page2.goto(`http://127.0.0.1:${other.address().port}/`);
  out.otherOrigin = await page2.evaluate(async ({ base, session, token }) => {
    const refused = async (p) => p.then(() => false, () => true);
    return {
      api: await refused(fetch(`${base}/api/v1/sessions/${session}`, { headers: { Authorization: `Bearer ${token}` } })),
      whep: await refused(fetch(`${base}/whep/${session}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` }, body: 'v=0\r\n' })),
    };
  }, { base, session, token });
  console.log(`result ${JSON.stringify(out)}`);
});
