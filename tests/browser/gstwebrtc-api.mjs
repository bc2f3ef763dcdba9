// The real gstwebrtc-api (GStreamer's JavaScript client, npm package
// `gstwebrtc-api`, a dev dependency in web/package.json) in real Chromium,
// on a page served from its own origin, against a gst-plugins-rs signalling
// endpoint: vdiwebrtcsink's built-in server or vdid's relay.
//
//   node gstwebrtc-api.mjs WS_URL answer|offer [PRODUCER_META_KEY]
//
// The page uses nothing but the library's public API: it waits for a
// producer (producerAdded), starts a consumer session (the producer offers,
// or with createConsumerSessionWithOfferOptions the client offers), shows
// the stream in a <video> and attaches the session's remote controller to
// it. Then playwright drives real DOM input on that video element and the
// remote controller sends it. Output: "event ready {...}" once 5 frames
// were shown (and the remote controller exists, when there is one), then
// commands on stdin:
//   "keys TEXT"        keyboard.type(TEXT) on the focused video
//   "move X Y"         the pointer to video pixel X,Y
//   "click X Y"        a left click at video pixel X,Y
//   "wheel N"          N wheel notches down (deltaY = 100 each) over the video
//   "state"            -> "event state {...}"
//   "quit"
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { launch, runScenario, skipIfUnavailable } from './chromium.mjs';

const [wsUrl, mode = 'answer'] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../web/package.json'));
let libPath = '';
try {
  libPath = join(dirname(require.resolve('gstwebrtc-api/package.json')), 'dist', 'gstwebrtc-api-3.0.0.esm.js');
  readFileSync(libPath);
} catch {
  libPath = '';
}
skipIfUnavailable(libPath ? '' : 'gstwebrtc-api missing in web/node_modules (run ./scripts/setup)');

const emit = (name, obj = {}) => console.log(`event ${name} ${JSON.stringify(obj)}`);
const stdin = createInterface({ input: process.stdin });
const lines = [];
let waiter = null;
stdin.on('line', (l) => (waiter ? (waiter(l), (waiter = null)) : lines.push(l)));
const readLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => (waiter = r)));

const page_html = `<!doctype html><meta charset="utf-8"><title>gstwebrtc-api</title>
<style>body{margin:0} video{width:640px;height:360px;display:block;background:#000}</style>
<video id="video" muted autoplay playsinline></video>
<script type="module">
import GstWebRTCAPI from '/gstwebrtc-api.js';
const state = { producers: [], errors: [], frames: 0, controller: false, responses: [], mode: ${JSON.stringify(mode)} };
window.__state = state;
const video = document.getElementById('video');
const count = () => { state.frames++; video.requestVideoFrameCallback(count); };
video.requestVideoFrameCallback(count);
const api = new GstWebRTCAPI({ signalingServerUrl: ${JSON.stringify(wsUrl)}, reconnectionTimeout: 0,
                               meta: { client: 'gstwebrtc-api test' }, webrtcConfig: { iceServers: [] } });
api.registerConnectionListener({ connected: (id) => { state.clientId = id; }, disconnected: () => { state.disconnected = true; } });
let started = false;
api.registerPeerListener({
  producerAdded: (p) => {
    state.producers.push({ id: p.id, meta: p.meta });
    if (started) return;
    started = true;
    const s = state.mode === 'offer'
      ? api.createConsumerSessionWithOfferOptions(p.id, { offerToReceiveVideo: true, offerToReceiveAudio: false })
      : api.createConsumerSession(p.id);
    if (!s) { state.errors.push('createConsumerSession returned null'); return; }
    window.__session = s;
    s.addEventListener('error', (e) => state.errors.push(String(e.message) + ': ' + String(e.error)));
    s.addEventListener('closed', () => { state.closed = true; });
    s.addEventListener('streamsChanged', () => {
      if (s.streams.length) { video.srcObject = s.streams[0]; video.play().catch(() => undefined); }
    });
    s.addEventListener('remoteControllerChanged', () => {
      const rc = s.remoteController;
      state.controller = !!rc;
      if (!rc) return;
      rc.attachVideoElement(video);
      rc.addEventListener('controlResponse', (e) => state.responses.push(e.detail));
    });
    s.connect();
  },
});
</script>`;

const server = createServer((req, res) => {
  if (req.url === '/gstwebrtc-api.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript' });
    res.end(readFileSync(libPath));
  } else {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page_html);
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const { ctx, close } = await launch();
await runScenario({
  close,
  label: 'gstwebrtc-api scenario',
  timeoutMs: 120000,
  cleanup: () => {
    server.close();
    stdin.close();
  },
}, async () => {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
  page.on('console', (m) => { if (m.type() === 'error') console.error(`console: ${m.text()}`); });
  await page.goto(origin + '/');
  const wantController = mode !== 'offer';
  try {
    await page.waitForFunction((c) => window.__state.frames >= 5 && (!c || window.__state.controller), wantController,
                               { timeout: 40000 });
    emit('ready', { origin, ...(await page.evaluate(() => window.__state)) });
  } catch (e) {
    emit('failed', { error: String(e), state: await page.evaluate(() => window.__state) });
  }
  const video = await page.$('#video');
  const box = await video.boundingBox();
  const at = async (x, y) => {
    const size = await page.evaluate(() => [document.getElementById('video').videoWidth, document.getElementById('video').videoHeight]);
    return [box.x + (x * box.width) / size[0], box.y + (y * box.height) / size[1]];
  };
  for (;;) {
    const line = await readLine();
    const [cmd, ...rest] = line.split(' ');
    if (cmd === 'quit') break;
    if (cmd === 'keys') {
      await video.focus();
      await page.keyboard.type(rest.join(' '), { delay: 30 });
    } else if (cmd === 'move') {
      const [x, y] = await at(Number(rest[0]), Number(rest[1]));
      await page.mouse.move(x, y);
    } else if (cmd === 'click') {
      const [x, y] = await at(Number(rest[0]), Number(rest[1]));
      await page.mouse.click(x, y);
    } else if (cmd === 'wheel') {
      const [x, y] = await at(320, 180);
      await page.mouse.move(x, y);
      for (let i = 0; i < Number(rest[0]); i++) await page.mouse.wheel(0, 100);
    } else if (cmd === 'state') {
      emit('state', await page.evaluate(() => window.__state));
    }
    emit('done', { cmd });
  }
  console.log('result {"done":true}');
});
