// Browser side of the vdiwebrtcsink tests (tests/integration/test-webrtcsink.cpp
// runs the pipeline and this script, and talks to it over stdin/stdout):
//
//   node webrtc.mjs SCENARIO BASE_URL [ARGS...]
//
// prints "event NAME {json}" lines as things happen, "result {json}" at the
// end, and for scenarios that wait for the test, reads one line on stdin.
// Exits 77 with a reason when Chromium or playwright-core is missing.
import { createInterface } from 'node:readline';
import { launch, runScenario, skipIfUnavailable } from './chromium.mjs';

const [scenario, base, ...args] = process.argv.slice(2);
skipIfUnavailable();

const stdin = createInterface({ input: process.stdin });
const lines = [];
let lineWaiter = null;
stdin.on('line', (l) => (lineWaiter ? (lineWaiter(l), (lineWaiter = null)) : lines.push(l)));
const readLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => (lineWaiter = r)));
const emit = (name, obj = {}) => console.log(`event ${name} ${JSON.stringify(obj)}`);
const result = (obj) => console.log(`result ${JSON.stringify(obj)}`);

const { ctx, close } = await launch();
async function openPage(query = '?autoconnect=0&stats=0') {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
  await page.goto(base + '/' + query);
  await page.waitForFunction(() => window.vdi !== undefined);
  return page;
}

// Connects the page's player; resolves when @frames frames were presented.
async function connectAndPlay(page, frames = 5, timeoutMs = 20000) {
  await page.evaluate(() => window.vdi.connect());
  await page.waitForFunction((n) => window.vdi.state.framesPresented >= n, frames, { timeout: timeoutMs });
  return page.evaluate(() => {
    const v = document.getElementById('video');
    const s = window.vdi.state;
    return { frames: s.framesPresented, firstFrameMs: s.firstFrameAt - s.connectStartedAt, width: v.videoWidth, height: v.videoHeight, errors: s.errors };
  });
}

async function waitChannel(page) {
  await page.waitForFunction(() => window.vdi.state.input !== undefined, null, { timeout: 15000 });
}

await runScenario({
  close,
  label: 'browser scenario',
  timeoutMs: 120000,
  cleanup: () => {
    stdin.close();
  },
}, async () => {
  switch (scenario) {
    case 'viewers': {
      // N viewers at once; report, then stay until the test says so.
      const n = Number(args[0] || 3);
      const pages = [];
      for (let i = 0; i < n; i++) pages.push(await openPage());
      const res = await Promise.all(pages.map((p) => connectAndPlay(p, 10)));
      // Keep decoding for a while: every viewer must keep receiving.
      const before = await Promise.all(pages.map((p) => p.evaluate(() => window.vdi.state.framesPresented)));
      await pages[0].waitForTimeout(1500);
      const after = await Promise.all(pages.map((p) => p.evaluate(() => window.vdi.state.framesPresented)));
      result({ viewers: res, progress: after.map((a, i) => a - before[i]) });
      await readLine();
      break;
    }
    case 'play': {
      // Open the player with the query in args[0] (e.g. a vdid session's
      // ?signalling=...), play 5 frames, report.
      const page = await openPage(args[0] || '?autoconnect=0&stats=0');
      result(await connectAndPlay(page, 5, 30000));
      break;
    }
    case 'join': {
      const page = await openPage();
      result(await connectAndPlay(page, 1));
      break;
    }
    case 'keys': {
      // Connect, press keys in the page, report the producer's answers.
      const page = await openPage();
      await connectAndPlay(page, 1);
      await waitChannel(page);
      await page.evaluate(() => {
        window.__responses = [];
        window.vdi.state.input.onResponse = (r) => window.__responses.push(r);
      });
      await page.focus('#video');
      for (const k of (args[0] || 'a').split(',')) await page.keyboard.press(k);
      // One click in the middle of the picture, too.
      const box = await page.locator('#video').boundingBox();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      const expected = 2 * (args[0] || 'a').split(',').length + 3; // press+release each, move+press+release
      await page.waitForFunction((n) => window.__responses.length >= n, expected, { timeout: 10000 }).catch(() => undefined);
      result({ responses: await page.evaluate(() => window.__responses) });
      break;
    }
    case 'flood': {
      // Two viewers; the first floods its control channel with 10,000
      // MouseMove requests in one second while the second keeps playing;
      // then the first, its channel quiet again, sends one key.
      const pages = [await openPage(), await openPage()];
      for (const p of pages) {
        await connectAndPlay(p, 1);
        await waitChannel(p);
      }
      const before = await Promise.all(pages.map((p) => p.evaluate(() => window.vdi.state.framesPresented)));
      const t0 = Date.now();
      const sent = await pages[0].evaluate(async () => {
        const ch = window.vdi.state.input.channel;
        let n = 0;
        for (let batch = 0; batch < 10; batch++) {
          for (let i = 0; i < 1000; i++, n++)
            ch.send(JSON.stringify({ id: 100000 + n, request: { type: 'navigationEvent', event: { event: 'MouseMove', x: n % 640, y: 1 } } }));
          await new Promise((r) => setTimeout(r, 100));
        }
        return n;
      });
      const floodMs = Date.now() - t0;
      const after = await Promise.all(pages.map((p) => p.evaluate(() => window.vdi.state.framesPresented)));
      await pages[0].waitForTimeout(1500);
      const key = await pages[0].evaluate(() => window.vdi.state.input.navigation({ event: 'KeyPress', key: 'q' }));
      result({ sent, floodMs, progress: after.map((a, i) => a - before[i]), key });
      await readLine();
      break;
    }
    case 'control': {
      // Two viewers, one after the other; each sends one key on its channel.
      const pages = [await openPage(), await openPage()];
      for (const p of pages) {
        await connectAndPlay(p, 1);
        await waitChannel(p);
      }
      const responses = [];
      for (const p of pages)
        responses.push(await p.evaluate(() => window.vdi.state.input.navigation({ event: 'KeyPress', key: 'q' })));
      // The first viewer leaves: control passes to the second.
      await pages[0].evaluate(() => window.vdi.state.session.close());
      await pages[1].waitForTimeout(500);
      responses.push(await pages[1].evaluate(() => window.vdi.state.input.navigation({ event: 'KeyRelease', key: 'q' })));
      result({ responses });
      break;
    }
    case 'audio': {
      // Video and Opus audio on one session; report the receiver stats.
      const page = await openPage();
      await connectAndPlay(page, 5);
      await page.waitForTimeout(1500);
      const out = await page.evaluate(async (whep) => {
        const pcs = [window.vdi.state.session.pc];
        if (whep) {
          const w = await window.vdi.whepConnect(`${location.origin}/whep`, undefined, { audio: true });
          await new Promise((r) => setTimeout(r, 2500));
          pcs.push(w.pc);
        }
        const res = [];
        for (const pc of pcs) {
          const kinds = pc.getReceivers().map((r) => r.track.kind).sort();
          let audioPackets = 0, videoFrames = 0, audioCodec = '';
          const stats = await pc.getStats();
          stats.forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') {
              audioPackets = s.packetsReceived;
              audioCodec = stats.get(s.codecId)?.mimeType ?? '';
            }
            if (s.type === 'inbound-rtp' && s.kind === 'video') videoFrames = s.framesDecoded;
          });
          res.push({ kinds, audioPackets, videoFrames, audioCodec });
        }
        return res;
      }, args[0] === 'whep');
      result({ sessions: out });
      break;
    }
    case 'malformed': {
      // Bad signalling messages, then a normal session on the same socket.
      const page = await openPage();
      const out = await page.evaluate(async () => {
        const c = new window.vdi.SignallingClient(`ws://${location.host}/signalling`);
        await c.ready();
        const replies = [];
        for (const bad of ['{not json', '[1,2]', '{"type":"bogus"}',
                           '{"type":"startSession","peerId":"no-such-producer"}', '{"type":"startSession"}', '"text"', '{"type":"peer","sessionId":"x"}']) {
          const r = c.next((m) => m.type === 'error', 5000).catch(() => ({ type: 'timeout' }));
          c.send(bad);
          replies.push(await r);
        }
        // A message for a session that does not exist is dropped without a
        // word, as by gst-plugins-rs' server: the next reply is the list.
        const next = c.next(() => true, 5000).catch(() => ({ type: 'timeout' }));
        c.send('{"type":"peer","sessionId":"nope","sdp":{"type":"answer","sdp":"v=0"}}');
        c.send('{"type":"list"}');
        const ignored = (await next).type === 'list';
        const s = await c.startSession('');
        const v = document.getElementById('video');
        v.srcObject = s.stream;
        await v.play().catch(() => undefined);
        const frames = await new Promise((resolve) => {
          let n = 0;
          const cb = () => (++n >= 5 ? resolve(n) : v.requestVideoFrameCallback(cb));
          v.requestVideoFrameCallback(cb);
          setTimeout(() => resolve(n), 15000);
        });
        return { replies, ignored, frames, open: c.ws.readyState === WebSocket.OPEN };
      });
      result(out);
      break;
    }
    case 'cycles': {
      // Connect/disconnect N times; "event warm" after W cycles, then wait
      // for a line on stdin before the measured cycles.
      const n = Number(args[0] || 50), warm = Number(args[1] || 5);
      const page = await openPage();
      const cycle = () => page.evaluate(async () => {
        const c = new window.vdi.SignallingClient(`ws://${location.host}/signalling`);
        await c.ready();
        const s = await c.startSession('');
        await new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no media in 10 s')), 10000);
          const check = () => {
            if (s.pc.connectionState === 'connected') { clearTimeout(t); resolve(); }
            else if (s.pc.connectionState === 'failed') { clearTimeout(t); reject(new Error('ICE failed')); }
          };
          s.pc.addEventListener('connectionstatechange', check);
          check();
        });
        // Half of the cycles end the session politely, half just drop the socket.
        if (Math.random() < 0.5) s.close();
        c.close();
      });
      for (let i = 0; i < warm; i++) await cycle();
      emit('warm');
      await readLine();
      const t0 = Date.now();
      for (let i = 0; i < n; i++) await cycle();
      result({ cycles: n, ms: Date.now() - t0 });
      await readLine();
      break;
    }
    case 'whep': {
      const page = await openPage();
      const out = await page.evaluate(async () => {
        const s = await window.vdi.whepConnect(`${location.origin}/whep`);
        const v = document.getElementById('video');
        v.srcObject = s.stream;
        await v.play().catch(() => undefined);
        const frames = await new Promise((resolve) => {
          let n = 0;
          const cb = () => (++n >= 10 ? resolve(n) : v.requestVideoFrameCallback(cb));
          v.requestVideoFrameCallback(cb);
          setTimeout(() => resolve(n), 15000);
        });
        const resource = s.resource;
        const w = v.videoWidth, h = v.videoHeight;
        window.__whep = s;
        return { frames, resource, width: w, height: h };
      });
      emit('playing', out);
      await readLine();
      const del = await page.evaluate(async () => {
        const frag = 'a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2113937151 127.0.0.1 9 typ host\r\n';
        const patch = await fetch(window.__whep.resource, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: frag });
        const badPatch = await fetch(window.__whep.resource, { method: 'PATCH', headers: { 'Content-Type': 'text/plain' }, body: frag });
        const patchUnknown = await fetch(`${location.origin}/whep/no-such-session`, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: frag });
        window.__patch = { patch: patch.status, badPatch: badPatch.status, patchUnknown: patchUnknown.status };
        await window.__whep.close();
        const again = await fetch(window.__whep.resource, { method: 'DELETE' });
        const bad = await fetch(`${location.origin}/whep`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: 'hello' });
        return { secondDelete: again.status, badPost: bad.status, ...window.__patch };
      });
      result({ ...out, ...del });
      break;
    }
    case 'whep-offer': {
      // Relayed WHEP: no HTTP at all. Print the browser's offer (all
      // candidates gathered), read {"status":N,"sdp":ANSWER} on stdin,
      // play, report, wait for a line, then report the connection state.
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
      const offer = await page.evaluate(async () => {
        const pc = new RTCPeerConnection();
        window.__pc = pc;
        pc.addTransceiver('video', { direction: 'recvonly' });
        const video = document.createElement('video');
        video.muted = true;
        video.autoplay = true;
        document.body.appendChild(video);
        window.__video = video;
        pc.ontrack = (e) => {
          video.srcObject = e.streams[0] || new MediaStream([e.track]);
          video.play().catch(() => undefined);
        };
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise((resolve) => {
          if (pc.iceGatheringState === 'complete') resolve();
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
          setTimeout(resolve, 5000);
        });
        return pc.localDescription.sdp;
      });
      emit('offer', { sdp: offer });
      const answer = JSON.parse(await readLine());
      if (answer.status !== 201) {
        result({ error: `WHEP answer ${answer.status}: ${answer.sdp}` });
        break;
      }
      const out = await page.evaluate(async (sdp) => {
        await window.__pc.setRemoteDescription({ type: 'answer', sdp });
        const v = window.__video;
        const frames = await new Promise((resolve) => {
          let n = 0;
          const cb = () => (++n >= 10 ? resolve(n) : v.requestVideoFrameCallback(cb));
          v.requestVideoFrameCallback(cb);
          setTimeout(() => resolve(n), 20000);
        });
        let framesDecoded = 0;
        (await window.__pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded;
        });
        return { frames, framesDecoded, width: v.videoWidth, height: v.videoHeight };
      }, answer.sdp);
      emit('playing', out);
      await readLine();
      // The element ended the viewer (whep-delete): the browser sees it go.
      const state = await page.evaluate(() => new Promise((resolve) => {
        const pc = window.__pc;
        const done = () => ['disconnected', 'failed', 'closed'].includes(pc.iceConnectionState) && resolve(pc.iceConnectionState);
        pc.addEventListener('iceconnectionstatechange', done);
        done();
        setTimeout(() => resolve(pc.iceConnectionState), 15000);
      }));
      result({ ...out, afterDelete: state });
      break;
    }
    case 'relay': {
      // A consumer of the gst-plugins-rs signalling protocol in a blank page
      // (no player page, no HTTP), with the signalling carried over stdio:
      //   stdin  "msg JSON"   a message from the producer
      //          "send TEXT"  send TEXT on the data channel
      //          "state"      -> "event state {...}"
      //          "quit"
      //   stdout "event send JSON"      a message for the producer
      //          "event response JSON"  a ControlResponseMessage
      //          "event channel JSON"   any other data-channel message
      //          "event ready {...}"    data channel open and 5 frames shown
      // args[0] is the producer id.
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
      await page.exposeFunction('__out', (kind, json) => console.log(`event ${kind} ${json}`));
      await page.evaluate((producer) => {
        const pc = new RTCPeerConnection();
        const video = document.createElement('video');
        video.muted = true;
        video.autoplay = true;
        document.body.appendChild(video);
        let session = null, channel = null, frames = 0;
        const send = (m) => window.__out('send', JSON.stringify(m));
        pc.ontrack = (e) => {
          video.srcObject = e.streams[0] || new MediaStream([e.track]);
          video.play().catch(() => undefined);
        };
        const count = () => { frames++; video.requestVideoFrameCallback(count); };
        video.requestVideoFrameCallback(count);
        pc.onicecandidate = (e) => {
          if (e.candidate && e.candidate.candidate)
            send({ type: 'peer', sessionId: session, ice: { candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex } });
        };
        pc.ondatachannel = (e) => {
          if (e.channel.label !== 'control') return;
          channel = e.channel;
          channel.onmessage = (m) => {
            let type = '';
            try { type = JSON.parse(m.data).type; } catch { /* reported as is */ }
            window.__out(type === 'ControlResponseMessage' ? 'response' : 'channel', m.data);
          };
        };
        const handle = async (m) => {
          if (m.type === 'welcome') send({ type: 'startSession', peerId: producer });
          else if (m.type === 'sessionStarted') session = m.sessionId;
          else if (m.type === 'peer' && m.sdp) {
            await pc.setRemoteDescription(m.sdp);
            const answer = await pc.createAnswer();
            await pc.setLocalDescription(answer);
            send({ type: 'peer', sessionId: session, sdp: { type: 'answer', sdp: answer.sdp } });
          } else if (m.type === 'peer' && m.ice && m.ice.candidate)
            await pc.addIceCandidate({ candidate: m.ice.candidate, sdpMLineIndex: m.ice.sdpMLineIndex });
          else if (m.type === 'error' || m.type === 'endSession') window.__out('signalling', JSON.stringify(m));
        };
        let chain = Promise.resolve();
        window.__in = (m) => {
          chain = chain.then(() => handle(m)).catch((e) => window.__out('failed', JSON.stringify({ error: String(e) })));
        };
        window.__send = (text) => channel.send(text);
        window.__state = () => ({ frames, width: video.videoWidth, height: video.videoHeight, channel: channel ? channel.readyState : 'none', connection: pc.connectionState });
      }, args[0]);
      page.waitForFunction(() => window.__state().frames >= 5 && window.__state().channel === 'open', null, { timeout: 40000 })
        .then(async () => emit('ready', await page.evaluate(() => window.__state())))
        .catch(async (e) => emit('failed', { error: String(e), state: await page.evaluate(() => window.__state()).catch(() => null) }));
      for (;;) {
        const line = await readLine();
        const sp = line.indexOf(' ');
        const cmd = sp < 0 ? line : line.slice(0, sp);
        const rest = sp < 0 ? '' : line.slice(sp + 1);
        if (cmd === 'quit') break;
        if (cmd === 'msg') await page.evaluate((m) => window.__in(m), JSON.parse(rest));
        else if (cmd === 'send') await page.evaluate((t) => window.__send(t), rest);
        else if (cmd === 'state') emit('state', await page.evaluate(() => window.__state()));
      }
      result({ done: true });
      break;
    }
    default:
      result({ error: `unknown scenario ${scenario}` });
  }
});
