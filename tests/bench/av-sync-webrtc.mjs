// Browser side of the A/V sync benchmark at the WebRTC receiver
// (tests/bench/av-sync-bench.py --reader webrtc):
//
//   node av-sync-webrtc.mjs BASE USER PASSWORD SESSION SECONDS
//
// Signs in to the web client, opens the session's desktop view, clicks for
// sound, and for SECONDS stamps, on the page's clock (performance.now()):
// - each video frame as Chromium shows it: requestVideoFrameCallback's
//   presentationTime (when the frame went to the compositor; headless
//   Chromium's expectedDisplayTime is stale, often a second old), with the
//   frame's mean luma (drawn to an 8x8 canvas);
// - each beep onset of the received audio track as it is output: an
//   AudioWorklet finds the first loud sample (above 0.05 after 50 ms at
//   most 0.05) in its render quantum, at AudioContext time currentTime + i/rate,
//   turned into page time with getOutputTimestamp() (which includes the
//   output latency).
// Prints "result {frames: [[t, luma]...], onsets: [t...], stats}" (ms).
import { openDesktop } from './desktop-page.mjs';

const [base, user, password, id, seconds] = process.argv.slice(2);
const { page, close } = await openDesktop(base, user, password, id);
await page.evaluate(async () => {
  const code = `class Onset extends AudioWorkletProcessor {
    constructor() { super(); this.quiet = 0; }
    process(inputs) {
      const ch = inputs[0][0];
      if (!ch) return true;
      for (let i = 0; i < ch.length; i++) {
        if (Math.abs(ch[i]) <= 0.05) { this.quiet++; continue; }
        if (this.quiet >= 0.05 * sampleRate) this.port.postMessage(currentTime + i / sampleRate);
        this.quiet = 0;
      }
      return true;
    }
  }
  registerProcessor('onset', Onset);`;
  const ac = new AudioContext({ latencyHint: 'interactive' });
  await ac.audioWorklet.addModule(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
  const video = document.getElementById('video');
  const track = video.srcObject.getAudioTracks()[0];
  const src = ac.createMediaStreamSource(new MediaStream([track]));
  const node = new AudioWorkletNode(ac, 'onset');
  window.__onsets = [];
  node.port.onmessage = (e) => {
    const ts = ac.getOutputTimestamp();
    window.__onsets.push(ts.performanceTime + (e.data - ts.contextTime) * 1000);
  };
  const mute = ac.createGain();
  mute.gain.value = 0;
  src.connect(node).connect(mute).connect(ac.destination);
  await ac.resume();
  window.__frames = [];
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 8;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = (now, meta) => {
    g.drawImage(video, 0, 0, 8, 8);
    const px = g.getImageData(0, 0, 8, 8).data;
    let sum = 0;
    for (let i = 0; i < px.length; i += 4) sum += 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
    window.__frames.push([meta.presentationTime, sum / 64]);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
});
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const out = await page.evaluate(async () => {
  const stats = {};
  const report = await window.vdiApp.desktop.conn.rtc.pc.getStats();
  report.forEach((s) => {
    if (s.type === 'inbound-rtp')
      stats[s.kind] = Object.fromEntries(Object.entries(s).filter(([k]) => /jitter|delay|Delay|concealed|framesDecoded|framesDropped/.test(k)));
  });
  return { frames: window.__frames, onsets: window.__onsets, stats };
});
console.log(`result ${JSON.stringify(out)}`);
await close();
