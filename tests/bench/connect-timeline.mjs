// Where the time from "connect" to the first decoded frame goes, for one
// viewer of a running vdid session, seen from the page: timestamps (ms after
// connect()) of the signalling WebSocket's messages and of the
// RTCPeerConnection's ICE and connection states, then the first frame.
// Runs the player page of BUILD/web (vdid with VDID_WEB_ROOT=BUILD/web):
//
//   node tests/bench/connect-timeline.mjs http://127.0.0.1:8080 \
//     '?autoconnect=0&stats=0&signalling=<URL-encoded /api/v1/sessions/ID/signalling?token=SHARE>' [RUNS]
//
// docs/benchmarks.md ("vdid") has the figures this printed.
import { launch } from '../browser/chromium.mjs';

const [base, query, runs = '2'] = process.argv.slice(2);
const { ctx, close } = await launch();
for (let run = 1; run <= Number(runs); run++) {
  const page = await ctx.newPage();
  await page.addInitScript(() => {
    window.__t = [];
    const mark = (n) => window.__t.push([n, performance.now()]);
    window.__mark = mark;
    const kind = (d) => {
      try {
        const m = JSON.parse(d);
        return m.type + (m.sdp ? '-sdp' : m.ice ? '-ice' : '');
      } catch {
        return 'other';
      }
    };
    const WS = window.WebSocket;
    window.WebSocket = function (...a) {
      const w = new WS(...a);
      w.addEventListener('open', () => mark('ws-open'));
      w.addEventListener('message', (e) => mark('recv-' + kind(e.data)));
      const send = w.send.bind(w);
      w.send = (d) => (mark('send-' + kind(d)), send(d));
      return w;
    };
    window.WebSocket.prototype = WS.prototype;
    Object.assign(window.WebSocket, WS);
    const PC = window.RTCPeerConnection;
    window.RTCPeerConnection = function (...a) {
      const pc = new PC(...a);
      pc.addEventListener('iceconnectionstatechange', () => mark('ice-' + pc.iceConnectionState));
      pc.addEventListener('connectionstatechange', () => mark('pc-' + pc.connectionState));
      return pc;
    };
    window.RTCPeerConnection.prototype = PC.prototype;
  });
  await page.goto(base + '/' + query);
  await page.waitForFunction(() => window.vdi !== undefined);
  await page.evaluate(() => (window.__mark('connect'), window.vdi.connect()));
  await page.waitForFunction(() => window.vdi.state.framesPresented >= 1, null, { timeout: 20000 });
  await page.evaluate(() => window.__mark('first-frame'));
  const t = await page.evaluate(() => window.__t);
  const t0 = t.find((x) => x[0] === 'connect')[1];
  console.log(`run ${run}: ` + t.map(([n, v]) => `${Math.round(v - t0)} ${n}`).join(', '));
  await page.close();
}
await close();
