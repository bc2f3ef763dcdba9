// Browser side of the TURN tests (tests/integration/test-turn.cpp runs a
// real coturn and a real vdid with [webrtc] TURN settings):
//
//   node turn.mjs relay BASE USER PASSWORD SESSION EXPIRED_ICE_JSON
//   node turn.mjs refused BASE USER PASSWORD SESSION
//
// relay: the web client plays SESSION with iceTransportPolicy "relay" (only
// TURN candidates); prints the selected candidate pair, the ICE servers vdid
// gave, and what coturn says to an expired and to a fresh credential.
// refused: vdid hands out credentials coturn does not accept; prints what
// the page tells the user.
import { launch, runScenario, skipIfUnavailable } from './chromium.mjs';
import { until, newPage, signIn, frames, waitFrames } from './vdi-app.mjs';

const [scenario, base, user, password, session, expiredJson] = process.argv.slice(2);
skipIfUnavailable();
const check = (name, obj) => console.log(`check ${name} ${JSON.stringify(obj)}`);
const { ctx, close } = await launch();
/** Gathers relay-only candidates with @iceServers in the page: the relay
 * candidates and the STUN/TURN errors (icecandidateerror) seen. */
function gather(page, iceServers) {
  return page.evaluate(async (servers) => {
    const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
    const relays = [], errors = [];
    pc.onicecandidate = (e) => e.candidate && e.candidate.type === 'relay' && relays.push(e.candidate.address + ':' + e.candidate.port);
    pc.onicecandidateerror = (e) => errors.push({ code: e.errorCode, text: e.errorText, url: e.url });
    const done = new Promise((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await Promise.race([done, new Promise((r) => setTimeout(r, 10000))]);
    pc.close();
    return { relays, errors };
  }, iceServers);
}

/** The candidate pair the desktop's peer connection uses. */
function selectedPair(page) {
  return page.evaluate(async () => {
    const pc = window.vdiApp.desktop.conn.rtc.pc;
    const stats = [...(await pc.getStats()).values()];
    const byId = new Map(stats.map((s) => [s.id, s]));
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const p = transport && byId.get(transport.selectedCandidatePairId);
    const local = p && byId.get(p.localCandidateId);
    return { state: p?.state, localType: local?.candidateType, relayProtocol: local?.relayProtocol, url: local?.url, bytesReceived: p?.bytesReceived };
  });
}

/** A WHEP offer to vdid: the answer's status and Link headers (RFC 9725). */
function whepLinks(page, id) {
  return page.evaluate(async (sid) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch(`/whep/${sid}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    const out = { status: r.status, links: r.headers.get('Link') ?? '' };
    const where = r.headers.get('Location');
    if (where) await fetch(where, { method: 'DELETE' });
    pc.close();
    return out;
  }, id);
}

async function openDesktop(page, options) {
  await signIn(page, base, user, password);
  await page.waitForSelector('#sessions-view:not([hidden])');
  await page.evaluate(([id, o]) => (location.hash = `#/s/${id}?${o}`), [session, options]);
}

async function relay() {
  const page = await newPage(ctx, 800, 600);
  await openDesktop(page, 'ice=relay&transport=webrtc-only');
  await waitFrames(page, 10, 40000);
  const pair = await selectedPair(page);
  check('relay', { ...pair, frames: await frames(page), conn: await page.evaluate(() => window.vdiApp.desktop.conn.state) });
  const ice = await page.evaluate(() => fetch('/api/v1/ice-servers', { headers: { 'X-Requested-With': 'XMLHttpRequest' } }).then((r) => r.json()));
  check('ice', ice);
  check('whep', await whepLinks(page, session));
  check('fresh', await gather(page, ice.iceServers));
  check('expired', await gather(page, JSON.parse(expiredJson)));
  return { ok: true };
}

async function refused() {
  const page = await newPage(ctx, 800, 600);
  await openDesktop(page, 'ice=relay&transport=webrtc-only&timeout=5');
  const log = () => page.evaluate(() => window.vdiApp.connLog.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  await until(async () => /TURN/.test(await log()), 40000, 'a TURN error in the page').catch(() => undefined);
  check('refused', {
    state: await page.evaluate(() => window.vdiApp.desktop?.conn?.state ?? ''),
    log: await log(),
    status: await page.evaluate(() => document.getElementById('status')?.textContent ?? ''),
    frames: await frames(page),
  });
  // Direct ICE needs no TURN: the same session plays without relay-only.
  await page.evaluate((id) => (location.hash = `#/s/${id}?transport=webrtc-only&fresh=1`), session);
  await waitFrames(page, 3, 40000).catch(() => undefined);
  check('direct', { ...(await selectedPair(page).catch(() => ({}))), frames: await frames(page), conn: await page.evaluate(() => window.vdiApp.desktop?.conn?.state ?? '') });
  return { ok: true };
}

await runScenario({ close, label: 'browser scenario', timeoutMs: 120000 }, async () => {
  let out;
  if (scenario === 'relay') out = await relay();
  else if (scenario === 'refused') out = await refused();
  else out = { error: `unknown scenario ${scenario}` };
  console.log(`result ${JSON.stringify(out)}`);
});
