// A WHEP viewer (RFC 9725) of a vdid session in Chromium, with nothing but
// the browser's own RTCPeerConnection and fetch:
//
//   node vdid-whep.mjs BASE_URL SESSION_ID BEARER_TOKEN
//
// POSTs the offer to BASE/whep/ID with the token, plays 3 frames, trickles
// a candidate with PATCH, DELETEs the resource, and prints one
// "result {json}" line. Exits 77 with a reason when Chromium is missing.
import { launch, runScenario, skipIfUnavailable } from './chromium.mjs';

const [base, session, token] = process.argv.slice(2);
skipIfUnavailable();

const { ctx, close } = await launch();
await runScenario({ close, label: 'browser scenario', timeoutMs: 90000 }, async () => {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
  // Any page of vdid's origin: the WHEP endpoint is same-origin then.
  await page.goto(`${base}/health`);
  const out = await page.evaluate(
    async ({ session, token }) => {
      const auth = { Authorization: `Bearer ${token}` };
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', { direction: 'recvonly' });
      const gathered = new Promise((resolve) => {
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
        setTimeout(resolve, 3000);
      });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered;
      const t0 = performance.now();
      const post = await fetch(`/whep/${session}`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/sdp' },
        body: pc.localDescription.sdp,
      });
      if (post.status !== 201) return { error: `POST answered ${post.status}: ${await post.text()}` };
      const location = post.headers.get('Location');
      const contentType = post.headers.get('Content-Type');
      const stream = new MediaStream();
      pc.ontrack = (e) => stream.addTrack(e.track);
      await pc.setRemoteDescription({ type: 'answer', sdp: await post.text() });
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      document.body.appendChild(video);
      video.srcObject = stream;
      video.play().catch(() => undefined);
      const frames = await new Promise((resolve) => {
        let n = 0;
        const cb = () => (++n >= 3 ? resolve(n) : video.requestVideoFrameCallback(cb));
        video.requestVideoFrameCallback(cb);
        setTimeout(() => resolve(n), 20000);
      });
      const threeFramesMs = performance.now() - t0;
      const frag = 'a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2113937151 127.0.0.1 9 typ host\r\n';
      const patch = await fetch(location, {
        method: 'PATCH',
        headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag' },
        body: frag,
      });
      const del = await fetch(location, { method: 'DELETE', headers: auth });
      const again = await fetch(location, { method: 'DELETE', headers: auth });
      const result = {
        frames,
        threeFramesMs: Math.round(threeFramesMs),
        width: video.videoWidth,
        height: video.videoHeight,
        location,
        contentType,
        patch: patch.status,
        del: del.status,
        secondDelete: again.status,
      };
      pc.close();
      return result;
    },
    { session, token },
  );
  console.log(`result ${JSON.stringify(out)}`);
});
