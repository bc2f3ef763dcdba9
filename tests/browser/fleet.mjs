// Browser side of the front-door test (tests/integration/test-vdid-fleet.cpp):
// the web client served by the door plays sessions of several nodes, then
// shows that a session of a killed node is lost.
//
//   node fleet.mjs BASE USER PASSWORD WATCH_ID ID...
//
// Signs in at BASE (the door) once, plays each ID (WebRTC, 5 frames) and
// prints "check play {id,frames,width,height,state}"; then opens WATCH_ID,
// prints "ready" once it plays and waits for a line on stdin (the test kills
// that session's node), then waits for the page's message and prints
// "check lost {text,seconds}"; then reads one more line, ids separated by
// spaces, plays each again (check play) and prints "result {...}".
// Exits 77 with a reason when Chromium or playwright-core is missing.
import { createInterface } from 'node:readline';
import { launch, runScenario, skipIfUnavailable } from './chromium.mjs';
import { newPage, signIn, frames, connState, waitFrames } from './vdi-app.mjs';

const [base, user, password, watch, ...ids] = process.argv.slice(2);
skipIfUnavailable();
const check = (name, obj) => console.log(`check ${name} ${JSON.stringify(obj)}`);
const lines = createInterface({ input: process.stdin });
const iterator = lines[Symbol.asyncIterator]();
const nextLine = async () => (await iterator.next()).value ?? '';

const { ctx, close } = await launch();
async function open(page, id) {
  await page.evaluate((h) => (location.hash = h), `#/s/${encodeURIComponent(id)}`);
}

async function play(page, id) {
  await open(page, id);
  let error = '';
  try {
    await waitFrames(page, 5, 30000);
  } catch (e) {
    error = String(e);
  }
  const size = await page.evaluate(() => {
    const v = document.getElementById('video');
    return { width: v.videoWidth, height: v.videoHeight };
  });
  check('play', { id, frames: await frames(page), ...size, state: await connState(page), error });
  await page.evaluate(() => (location.hash = '#/'));
}

await runScenario({
  close,
  label: 'browser scenario',
  timeoutMs: 170000,
  cleanup: () => {
    lines.close();
  },
}, async () => {
  const page = await newPage(ctx, 640, 480);
  await signIn(page, base, user, password);
  await page.waitForSelector('#sessions-view:not([hidden])');
  for (const id of ids) await play(page, id);

  await open(page, watch);
  await waitFrames(page, 5, 30000);
  console.log('ready');
  await nextLine();
  const t0 = Date.now();
  await page.waitForFunction(() => !document.getElementById('message').hidden &&
    /lost/.test(document.getElementById('message').textContent), null, { timeout: 30000 });
  check('lost', { text: await page.textContent('#message'), seconds: (Date.now() - t0) / 1000 });

  const again = (await nextLine()).split(' ').filter(Boolean);
  for (const id of again) await play(page, id);
  console.log('result {"ok":true}');
});
