// Browser side of the sound tests (tests/integration/test-sound.cpp runs a
// real vdid with real sessions and PipeWire, and this script against it):
//
//   node sound.mjs play BASE USER PASSWORD TONE_SESSION SILENT_SESSION
//   node sound.mjs recipe BASE      (pipelines/desktop-webrtc-sound.sh's page)
//   node sound.mjs mic BASE USER PASSWORD SESSION VIEW_TOKEN WAV
//   node sound.mjs mics BASE USER PASSWORD SESSION WAV
//
// It opens the tone session's desktop view in the web client, checks the
// "click for sound" control, clicks it, finds the tone's frequency with a
// WebAudio analyser on the received WebRTC track, reads the stats overlay,
// measures the received audio bitrate of the tone and of the silent session
// (DTX), then plays the tone session over HLS (the fallback) and checks that
// its sound is decoded. Prints "check NAME {json}" lines and "result {json}".
//
// mic: Chromium's fake microphone plays WAV. A control viewer's desktop
// view: the microphone button is off; it is turned on, then off; then a
// microphone sends garbage (random bytes in place of each Opus frame), and
// then the real microphone again; then a view-only viewer (share link
// VIEW_TOKEN) tries it. After each step the
// script prints "step NAME {json}" and waits for a line on stdin (the test
// records the session's default source meanwhile).
//
// mics: two control viewers (two tabs signed in as the owner) send their
// microphones: A the fake device (WAV), B an 880 Hz oscillator (its
// getUserMedia answers with a WebAudio track). Steps: A on; B on too (A
// still sending); B off (A still sending). Same step protocol as mic.
import { launch, runScenario, skipIfUnavailable } from './chromium.mjs';

const [scenario, base, ...args] = process.argv.slice(2);
skipIfUnavailable();
function fakeMicrophone() {
  if (scenario === 'mic') return args[4];
  if (scenario === 'mics') return args[3];
  return null;
}
const check = (name, obj) => console.log(`check ${name} ${JSON.stringify(obj)}`);

const { ctx, close } = await launch({
  sound: true,
  args: fakeMicrophone() ? ['--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${fakeMicrophone()}`] : [],
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function signIn(page, user, password) {
  await page.goto(base + '/');
  await page.waitForSelector('#login-view:not([hidden])');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#sessions-view:not([hidden])');
}

async function openDesktop(page, id, query = '') {
  await page.evaluate(([i, q]) => (location.hash = `#/s/${i}${q}`), [id, query]);
  await page.waitForSelector('#desktop-view:not([hidden])');
}

/** In the page: the strongest frequency of the received audio track over
 * ~1 s (WebAudio analyser). */
function installAnalyser(page) {
  return page.addInitScript(() => {
    window.__peak = async () => {
      const v = document.getElementById('video');
      const ac = window.__ac ?? (window.__ac = new AudioContext());
      await ac.resume();
      const track = v.srcObject?.getAudioTracks()[0];
      if (!track) return { error: 'no audio track' };
      const src = ac.createMediaStreamSource(new MediaStream([track]));
      const an = ac.createAnalyser();
      an.fftSize = 8192;
      an.smoothingTimeConstant = 0;
      src.connect(an);
      const bins = new Float32Array(an.frequencyBinCount);
      const time = new Float32Array(an.fftSize);
      let best = { hz: 0, db: -Infinity, rms: 0 };
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 120));
        an.getFloatFrequencyData(bins);
        an.getFloatTimeDomainData(time);
        let rms = 0;
        for (const x of time) rms += x * x;
        rms = Math.sqrt(rms / time.length);
        let k = 1;
        for (let j = 2; j < bins.length; j++) if (bins[j] > bins[k]) k = j;
        if (rms > best.rms) best = { hz: (k * ac.sampleRate) / an.fftSize, db: bins[k], rms };
      }
      src.disconnect(an);
      return best;
    };
  });
}

const statsOf = (page) => page.evaluate(() => window.vdiApp.desktop?.conn?.lastStats ?? null);

async function audioBitrate(page, seconds) {
  // The mean of the 1 s samples of the overlay's sampler over @seconds.
  const values = [];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    const s = await statsOf(page);
    if (s) values.push(s.audioBitrateKbps);
  }
  values.sort((a, b) => a - b);
  return values.length ? values[Math.floor(values.length / 2)] : -1;
}

async function play() {
  const [user, password, toneId, silentId] = args;
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
  await installAnalyser(page);
  await signIn(page, user, password);
  // Signing in was a gesture: a fresh load of the desktop's link (the
  // cookie stays) has had none, so the page must ask for a click.
  await page.goto(`${base}/#/s/${toneId}`);
  await page.reload();
  await page.waitForSelector('#desktop-view:not([hidden])');
  await page.waitForFunction(() => window.vdiApp.desktop?.conn?.state === 'playing', null, { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('video').srcObject?.getAudioTracks().length > 0, null, { timeout: 10000 });
  const unmute = page.locator('#sound-unmute');
  await page.waitForFunction(() => !document.getElementById('sound-unmute').hidden, null, { timeout: 5000 }).catch(() => undefined);
  const before = {
    control: await unmute.isVisible(),
    text: await unmute.textContent(),
    muted: await page.evaluate(() => document.getElementById('video').muted),
  };
  await unmute.click();
  const after = {
    control: await unmute.isVisible(),
    muted: await page.evaluate(() => document.getElementById('video').muted),
    muteButton: await page.getAttribute('#tb-mute', 'aria-label'),
  };
  check('unmute', { before, after });
  check('webrtc-tone', await page.evaluate(() => window.__peak()));
  // Mute and volume through the toolbar.
  await page.click('#tb-mute');
  const muted = await page.evaluate(() => document.getElementById('video').muted);
  await page.click('#tb-mute');
  await page.fill('#tb-volume', '40');
  await page.dispatchEvent('#tb-volume', 'input');
  check('controls', {
    mutedAfterClick: muted,
    unmutedAfterSecond: !(await page.evaluate(() => document.getElementById('video').muted)),
    volume: await page.evaluate(() => document.getElementById('video').volume),
  });
  await page.click('#tb-stats');
  const toneKbps = await audioBitrate(page, 3);
  check('overlay', {
    text: await page.textContent('#stats'),
    stats: await statsOf(page),
    toneKbps,
  });

  // The silent session: DTX leaves (almost) nothing on the wire.
  await openDesktop(page, silentId);
  await page.waitForFunction(() => window.vdiApp.desktop?.conn?.state === 'playing', null, { timeout: 30000 });
  await sleep(1000); // the encoder's first frames before DTX sets in
  check('silence', { silentKbps: await audioBitrate(page, 4), toneKbps, stats: await statsOf(page) });

  // HLS (the fallback) plays the sound too.
  await openDesktop(page, toneId, '?transport=hls');
  await page.waitForFunction(() => window.vdiApp.desktop?.conn?.state === 'hls', null, { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('video').currentTime > 0.5, null, { timeout: 40000 });
  // Headless Chromium here has no audio output device, and then a media
  // element's sound cannot be tapped by WebAudio (silence, tried with
  // createMediaElementSource and captureStream): check that it decodes the
  // HLS audio while unmuted; ffmpeg checks the tone of the same stream.
  const decoded = () => page.evaluate(() => document.getElementById('video').webkitAudioDecodedByteCount);
  const first = await decoded();
  await sleep(2000);
  check('hls-sound', {
    decodedBytes: (await decoded()) - first,
    muted: await page.evaluate(() => document.getElementById('video').muted),
    volume: await page.evaluate(() => document.getElementById('video').volume),
  });
  return { ok: true };
}

/** Prints step @name and waits for the test to say go on (a stdin line). */
const stdinLines = (async function* () {
  let buf = '';
  for await (const chunk of process.stdin) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
})();
async function step(name, obj) {
  console.log(`step ${name} ${JSON.stringify(obj)}`);
  await stdinLines.next();
}

const micOf = (page) =>
  page.evaluate(() => {
    const b = document.getElementById('tb-mic');
    const pc = window.vdiApp.desktop?.conn?.rtc?.pc;
    const t = pc?.getTransceivers().find((x) => x.receiver.track.kind === 'audio');
    return {
      state: b.dataset.state,
      text: b.textContent,
      title: b.title,
      direction: t?.currentDirection ?? null,
      sending: t?.sender.track?.readyState ?? null,
    };
  });

/** In the page: every peer connection passes its encoded frames through
 * (encodedInsertableStreams); the audio it sends becomes random bytes while
 * window.__garbage is true. */
function installGarbageHook(page) {
  return page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const pipe = (streams, audioOut) =>
      streams.readable
        .pipeThrough(
          new TransformStream({
            transform(f, c) {
              if (audioOut && window.__garbage) {
                const d = new Uint8Array(Math.max(1, f.data.byteLength));
                crypto.getRandomValues(d);
                f.data = d.buffer;
              }
              c.enqueue(f);
            },
          }),
        )
        .pipeTo(streams.writable);
    window.RTCPeerConnection = function (config) {
      const pc = new Native({ ...(config ?? {}), encodedInsertableStreams: true });
      pc.addEventListener('track', (e) => pipe(e.receiver.createEncodedStreams(), false));
      const hooked = new Set();
      pc.addEventListener('signalingstatechange', () => {
        for (const t of pc.getTransceivers()) {
          if (hooked.has(t) || !t.currentDirection || !t.currentDirection.includes('send')) continue;
          hooked.add(t);
          pipe(t.sender.createEncodedStreams(), t.receiver.track.kind === 'audio');
        }
      });
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
  });
}

async function mic() {
  const [user, password, id, viewToken] = args;
  const page = await controlViewer(user, password, id, installGarbageHook);
  await step('control-off', await micOf(page));
  await micOn(page);
  await step('control-on', await micOf(page));
  await page.click('#tb-mic');
  await step('control-off-again', await micOf(page));

  // Garbage: the same microphone with every Opus frame replaced by random
  // bytes (installGarbageHook), then the real one again.
  await page.evaluate(() => (window.__garbage = true));
  await micOn(page);
  const video = () => page.evaluate(() => ({ frames: window.vdiApp.desktop.conn.framesPresented, conn: window.vdiApp.desktop.conn.state }));
  const before = await video();
  await step('control-garbage', { ...(await micOf(page)), video: before });
  await page.evaluate(() => (window.__garbage = false));
  await sleep(300);
  await step('control-after-garbage', { ...(await micOf(page)), video: await video(), framesBefore: before.frames });
  await page.click('#tb-mic');
  await page.close();

  // A view-only viewer: its share link, no sign-in (no cookie).
  await ctx.clearCookies();
  const view = await ctx.newPage();
  view.on('pageerror', (e) => console.error(`pageerror: ${e}`));
  await view.goto(`${base}/#/s/${id}?token=${viewToken}`);
  await view.waitForFunction(() => window.vdiApp.desktop?.conn?.state === 'playing', null, { timeout: 30000 });
  await micOn(view);
  // Even a track put into its sender (the page's code bypassed) sends
  // nothing: the answer is recvonly.
  const forced = await view.evaluate(async () => {
    const pc = window.vdiApp.desktop?.conn?.rtc?.pc;
    const t = pc?.getTransceivers().find((x) => x.receiver.track.kind === 'audio');
    const s = await navigator.mediaDevices.getUserMedia({ audio: true });
    await t?.sender.replaceTrack(s.getAudioTracks()[0]).catch(() => undefined);
    return { direction: t?.currentDirection ?? null };
  });
  await step('view', { ...(await micOf(view)), forced });
  return { ok: true };
}

/** In the page: getUserMedia answers with a @hz oscillator (a second
 * microphone that is not the browser's one fake device). */
function installOscillatorMicrophone(page, hz) {
  return page.addInitScript((f) => {
    navigator.mediaDevices.getUserMedia = async () => {
      const ac = new AudioContext();
      const osc = ac.createOscillator();
      osc.frequency.value = f;
      const gain = ac.createGain();
      gain.gain.value = 0.5;
      const out = ac.createMediaStreamDestination();
      osc.connect(gain).connect(out);
      osc.start();
      await ac.resume();
      return out.stream;
    };
  }, hz);
}

/** A control viewer's tab on the desktop of @id; it signs in unless the
 * context has signed in already (the cookie). */
async function controlViewer(user, password, id, setUp) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`pageerror: ${e}`));
  if (setUp) await setUp(page);
  if ((await ctx.cookies()).length) {
    await page.goto(`${base}/#/s/${id}`);
    await page.waitForSelector('#desktop-view:not([hidden])');
  } else {
    await signIn(page, user, password);
    await openDesktop(page, id);
  }
  await page.waitForFunction(() => window.vdiApp.desktop?.conn?.state === 'playing', null, { timeout: 30000 });
  return page;
}

async function micOn(page) {
  await page.click('#tb-mic');
  await page.waitForFunction(() => document.getElementById('tb-mic').dataset.state !== 'starting', null, { timeout: 10000 });
}

async function mics() {
  const [user, password, id] = args;
  const a = await controlViewer(user, password, id);
  const b = await controlViewer(user, password, id, (p) => installOscillatorMicrophone(p, 880));
  await micOn(a);
  await step('a-on', { a: await micOf(a), b: await micOf(b) });
  await micOn(b);
  await step('b-on', { a: await micOf(a), b: await micOf(b) });
  await b.click('#tb-mic');
  await step('b-off', { a: await micOf(a), b: await micOf(b) });
  await a.click('#tb-mic');
  return { ok: true };
}

/** The recipe's built-in player page at BASE/: the tone of its audio track. */
async function recipe() {
  const page = await ctx.newPage();
  await installAnalyser(page);
  await page.goto(base + '/');
  await page.waitForFunction(() => document.getElementById('video').srcObject?.getAudioTracks().length > 0, null, { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('video').currentTime > 0, null, { timeout: 30000 });
  check('recipe-tone', await page.evaluate(() => window.__peak()));
  return { ok: true };
}

const scenarios = { play, recipe, mic, mics };
await runScenario({ close, timeoutMs: 150000 }, async () =>
  scenarios[scenario] ? scenarios[scenario]() : { error: `unknown scenario ${scenario}` });
process.exit(0);
