// Browser side of the audio latency benchmark (tests/bench/sound-bench.py):
//
//   node audio-latency.mjs BASE USER PASSWORD SESSION SECONDS
//
// Signs in to the web client, opens the session's desktop view, clicks for
// sound, and feeds the received WebRTC audio track to an AudioWorklet that
// reports every onset (a block whose peak passes 0.05 after 50 ms below
// 0.01). Each onset is stamped with the wall clock (performance.timeOrigin
// + performance.now(), the same clock as the app's time.time()). Prints
// "result {onsets: [...], stats}".
import { openDesktop } from './desktop-page.mjs';

const [base, user, password, id, seconds] = process.argv.slice(2);
const { page, close } = await openDesktop(base, user, password, id);
await page.evaluate(async () => {
  const code = `class Onset extends AudioWorkletProcessor {
    constructor() { super(); this.quiet = 0; }
    process(inputs) {
      const ch = inputs[0][0];
      if (!ch) return true;
      let peak = 0;
      for (const x of ch) peak = Math.max(peak, Math.abs(x));
      if (peak > 0.05 && this.quiet * ch.length >= 0.05 * sampleRate) this.port.postMessage(0);
      this.quiet = peak < 0.01 ? this.quiet + 1 : 0;
      return true;
    }
  }
  registerProcessor('onset', Onset);`;
  const ac = new AudioContext({ latencyHint: 'interactive' });
  await ac.audioWorklet.addModule(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
  const track = document.getElementById('video').srcObject.getAudioTracks()[0];
  const src = ac.createMediaStreamSource(new MediaStream([track]));
  const node = new AudioWorkletNode(ac, 'onset');
  window.__onsets = [];
  node.port.onmessage = () => window.__onsets.push(performance.timeOrigin + performance.now());
  const mute = ac.createGain();
  mute.gain.value = 0;
  src.connect(node).connect(mute).connect(ac.destination);
  await ac.resume();
});
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const onsets = await page.evaluate(() => window.__onsets.map((t) => t / 1000));
const stats = await page.evaluate(async () => {
  const out = {};
  const report = await window.vdiApp.desktop.conn.rtc.pc.getStats();
  report.forEach((s) => {
    if (s.type === 'inbound-rtp')
      out[s.kind] = Object.fromEntries(Object.entries(s).filter(([k]) => /jitter|delay|Delay|concealed|inserted|removed/.test(k)));
  });
  return out;
});
// The media stream ids the browser got for each m-line (one id for both:
// Chromium plays the audio in sync with the video).
const msid = await page.evaluate(() =>
  window.vdiApp.desktop.conn.rtc.pc.remoteDescription.sdp
    .split('\r\n')
    .filter((l) => l.startsWith('m=') || / msid:|^a=msid:/.test(l))
    .map((l) => (l.startsWith('m=') ? l.split(' ')[0] : l.replace(/^a=(ssrc:\d+ )?msid:/, '').split(' ')[0])),
);
console.log(`result ${JSON.stringify({ onsets, stats, msid })}`);
await close();
