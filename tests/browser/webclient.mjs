// Browser side of the web client tests (tests/integration/test-webclient.cpp
// runs a real vdid and this script against it):
//
//   node webclient.mjs SCENARIO BASE_URL [ARGS...]
//
// It drives the page vdid serves at / like a user (sign in, create, open,
// type, click, paste) and prints "check NAME {json}" lines with what it
// observed (the C++ test asserts on them), "result {json}" at the end.
// Exits 77 with a reason when Chromium or playwright-core is missing.
//
// Scenarios:
//   full BASE USER PASSWORD OTHER_USER OTHER_PASSWORD RUNTIME_DIR INPUT_CLIENT SHOTS
//   hls BASE USER PASSWORD SHOTS
//   share-play BASE HASH          (opens BASE/HASH, a share link, plays 5 frames)
//   gnome BASE USER PASSWORD RUNTIME_DIR INPUT_CLIENT SHOTS
//                                 (a session of vdid's compositor=gnome: the
//                                 desktop, then keys and a click into the
//                                 recording client, started on a signal,
//                                 layout de, and the clipboard both ways)
import { readFileSync, writeFileSync, appendFileSync, renameSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, runScenario, skipIfUnavailable } from './chromium.mjs';
import { sleep, until, newPage as newPageOf, signIn as signInAt, frames, connState, waitFrames } from './vdi-app.mjs';

const [scenario, base, ...args] = process.argv.slice(2);
skipIfUnavailable();
const check = (name, obj) => console.log(`check ${name} ${JSON.stringify(obj)}`);
const note = (text) => console.log(`note ${text}`);

const { ctx, close } = await launch();
const newPage = (width, height) => newPageOf(ctx, width, height);
const signIn = (page, user, password) => signInAt(page, base, user, password);

async function shot(page, dir, name) {
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name) });
}

/** Luminance statistics of the current video frame. */
function videoPicture(page) {
  return page.evaluate(() => {
    const { width, height, data: d } = window.__videoPixels();
    let sum = 0, sum2 = 0;
    const levels = new Set();
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      sum += y;
      sum2 += y * y;
      levels.add(d[i] >> 3);
    }
    const n = d.length / 4;
    const mean = sum / n;
    window.__lastPicture = d;
    return { width, height, mean, stddev: Math.sqrt(Math.max(sum2 / n - mean * mean, 0)), levels: levels.size };
  });
}

/** Pixels that changed by more than 40 in a channel since the last videoPicture(). */
function changedPixels(page) {
  return page.evaluate(() => {
    const before = window.__lastPicture;
    const d = window.__videoPixels().data;
    if (!before || before.length !== d.length) return -1;
    let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (Math.abs(d[i] - before[i]) > 40 || Math.abs(d[i + 1] - before[i + 1]) > 40 || Math.abs(d[i + 2] - before[i + 2]) > 40) n++;
    return n;
  });
}

/** Page coordinates of video pixel (x, y) (object-fit: contain). */
function pagePoint(page, x, y) {
  return page.evaluate(([px, py]) => {
    const v = document.getElementById('video');
    const r = v.getBoundingClientRect();
    const s = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
    const ox = (r.width - v.videoWidth * s) / 2, oy = (r.height - v.videoHeight * s) / 2;
    return { x: r.left + ox + (px + 0.5) * s, y: r.top + oy + (py + 0.5) * s };
  }, [x, y]);
}

async function openFromList(page, id) {
  await page.evaluate(() => (location.hash = '#/'));
  const open = page.locator(`tr[data-session="${id}"] button`, { hasText: 'Open' });
  await until(async () => !(await open.isDisabled()), 30000, `session ${id} running in the list`);
  await open.click();
  await page.waitForSelector('#desktop-view:not([hidden])');
}

async function full() {
  const [user, password, otherUser, otherPassword, runtime, inputClient, shots] = args;
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await newPage();

  // ---- sign in --------------------------------------------------------------
  await page.goto(base + '/');
  await page.waitForSelector('#login-view:not([hidden])');
  await shot(page, shots, 'login.png');
  await page.fill('#login-user', user);
  await page.fill('#login-password', 'wrong');
  await page.click('#login-submit');
  await page.waitForFunction(() => document.getElementById('login-error').textContent !== '');
  const wrong = await page.textContent('#login-error');
  await signIn(page, user, password);
  await page.waitForSelector('#sessions-view:not([hidden])');
  check('signin', { wrongPasswordMessage: wrong, whoami: await page.textContent('#whoami') });

  // ---- create a terminal session through the form ----------------------------
  await page.selectOption('#create-size', 'default');
  await page.selectOption('#create-fps', '30');
  await page.selectOption('#create-app', 'foot');
  await page.click('#create-submit');
  const terminal = await until(() => page.evaluate(() => document.querySelector('#session-rows tr')?.dataset.session), 15000, 'a session row');
  // A second one, running the recording client, through the page's API.
  const sh = (cmd) => ['sh', '-c', cmd];
  const rec = await page.evaluate((apps) => window.vdiApp.api.create({ apps }), [
    sh(`tail -f /dev/null | exec ${inputClient} > "$XDG_RUNTIME_DIR/input.log" 2>&1`),
    sh(`exec wl-paste -n -t text --watch sh -c 'cat > "$XDG_RUNTIME_DIR/clip.tmp" && mv "$XDG_RUNTIME_DIR/clip.tmp" "$XDG_RUNTIME_DIR/clip.txt"'`),
    sh(`while [ ! -e "$XDG_RUNTIME_DIR/copy-me" ]; do sleep 0.2; done; exec wl-copy < "$XDG_RUNTIME_DIR/copy-me"`),
  ]);
  await page.evaluate(() => (location.hash = '#/x') && (location.hash = '#/'));
  await until(() => page.evaluate(() => document.querySelectorAll('#session-rows tr .state-running').length >= 2), 40000, 'both sessions running');
  await shot(page, shots, 'sessions.png');
  check('created', { terminal, recorder: rec.id, rows: await page.locator('#session-rows tr').count() });

  // ---- the terminal: video, typing ---------------------------------------------
  await openFromList(page, terminal);
  await waitFrames(page, 10);
  await page.waitForTimeout(1500); // foot draws its prompt
  const picture = await videoPicture(page);
  await page.click('#tb-stats');
  await page.waitForTimeout(2200);
  const stats = await page.textContent('#stats');
  await shot(page, shots, 'desktop.png');
  check('video', { ...picture, frames: await frames(page), stats, latency: await page.textContent('#latency-text') });
  await page.click('#tb-stats');

  // Idle: how much changes without input (cursor blinking...).
  await videoPicture(page);
  await page.waitForTimeout(1500);
  const idle = await changedPixels(page);
  const box = await page.locator('#video').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await videoPicture(page);
  await page.keyboard.type('echo gst-vdi-ok', { delay: 20 });
  await page.keyboard.press('Enter');
  await page.waitForTimeout(1500);
  const typed = await changedPixels(page);
  await shot(page, shots, 'terminal-typed.png');
  check('typing', { idleChangedPixels: idle, typedChangedPixels: typed });

  // ---- the recording client: click, layout, clipboard, resize, reconnect ------
  await openFromList(page, rec.id);
  await waitFrames(page, 5);
  const log = join(runtime, rec.id, 'input.log');
  const readLog = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  await until(() => readLog().includes('configured'), 15000, 'the recording client shows its window');
  await page.waitForFunction(() => window.vdiApp.desktop?.channel !== undefined, null, { timeout: 15000 });

  // A click at video pixel (200, 150).
  await until(async () => {
    const p = await pagePoint(page, 200, 150);
    await page.mouse.click(p.x, p.y);
    await sleep(300);
    return readLog().includes('button 272 pressed');
  }, 15000, 'the click reaches the client');
  const lines = readLog().split('\n');
  const pressAt = lines.findIndex((l) => l.startsWith('button 272 pressed'));
  const motion = lines.slice(0, pressAt).reverse().find((l) => l.startsWith('motion ') || l.startsWith('pointer-enter '));
  check('click', { target: [200, 150], motion, video: await page.evaluate(() => [document.getElementById('video').videoWidth, document.getElementById('video').videoHeight]) });

  // Layout "de" from the settings panel, then @€ß typed in the page.
  await page.click('#tb-settings');
  await page.selectOption('#set-layout', 'de');
  await shot(page, shots, 'settings.png');
  await page.click('#tb-settings');
  await until(() => readLog().includes('keymap German'), 10000, 'the session switched to de');
  const before = readLog().length;
  await page.focus('#keys');
  await page.keyboard.type('@€ß', { delay: 30 });
  await until(() => (readLog().slice(before).match(/key pressed/g) ?? []).length >= 3, 10000, 'three keys').catch(() => undefined);
  await sleep(300);
  const keys = readLog().slice(before).split('\n').filter((l) => l.startsWith('key pressed')).map((l) => l.split(' ').slice(3).join(' '));
  check('layout', { keymap: (readLog().match(/keymap .*/g) ?? []).pop(), pressed: keys });

  // Dead keys and compositions, still on "de", delivered the ways browsers
  // deliver them: a "Dead" keydown then the composed character (Windows,
  // Linux without an IME), a composition (macOS, IMEs), and text inserted
  // without keys (on-screen keyboards, IME commits).
  const cdp = await ctx.newCDPSession(page);
  const key = (type, key, code, vk, text) =>
    cdp.send('Input.dispatchKeyEvent', { type, key, code, windowsVirtualKeyCode: vk, ...(text ? { text, unmodifiedText: text } : {}) });
  const beforeDead = readLog().length;
  await page.focus('#keys');
  await key('keyDown', 'Dead', 'Equal', 221);
  await key('keyUp', 'Dead', 'Equal', 221);
  await key('keyDown', 'é', 'KeyE', 69, 'é');
  await key('keyUp', 'é', 'KeyE', 69);
  await cdp.send('Input.imeSetComposition', { text: '¨', selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.insertText', { text: 'ü' });
  await page.keyboard.insertText('ñ');
  const deadPressed = () => readLog().slice(beforeDead).split('\n').filter((l) => l.startsWith('key pressed')).map((l) => l.split(' ').slice(3).join(' '));
  await until(() => deadPressed().length >= 3, 10000, 'three composed characters').catch(() => undefined);
  await sleep(300); // anything stray would follow
  check('dead-keys', { keymap: (readLog().match(/keymap .*/g) ?? []).pop(), pressed: deadPressed() });

  // Back to "us" (the select is in the settings panel).
  await page.click('#tb-settings');
  await page.selectOption('#set-layout', 'us');
  await page.click('#tb-settings');
  await until(() => /keymap English/.test((readLog().match(/keymap .*/g) ?? []).pop() ?? ''), 10000, 'the session switched back to us').catch(() => undefined);

  // Clipboard: copied in the session (wl-copy), it appears in the page.
  const copyMe = join(runtime, rec.id, 'copy-me');
  writeFileSync(copyMe + '.tmp', 'from-session-42');
  renameSync(copyMe + '.tmp', copyMe);
  await page.click('#tb-clipboard');
  const fromSession = await until(async () => {
    const v = await page.inputValue('#clip-from');
    return v || null;
  }, 10000, 'the session clipboard in the page').catch(() => '');
  const pageClipboard = await page.evaluate(() => navigator.clipboard.readText().catch((e) => `error: ${e}`));
  // Pasted in the page (the paste box), it reaches the session.
  await page.fill('#clip-to', 'from-page-ü7');
  await shot(page, shots, 'clipboard.png');
  await page.click('#clip-send');
  const clipFile = join(runtime, rec.id, 'clip.txt');
  const inSession = await until(() => {
    const t = existsSync(clipFile) ? readFileSync(clipFile, 'utf8') : '';
    return t.includes('from-page') ? t : null;
  }, 10000, 'the page clipboard in the session').catch(() => (existsSync(clipFile) ? readFileSync(clipFile, 'utf8') : ''));
  await page.click('#tb-clipboard');
  check('clipboard', { fromSession, pageClipboard, inSession });

  // Ctrl+V in the desktop view: Chromium fires a real paste event with this
  // computer's clipboard; the session's clipboard must hold it before the
  // application sees Ctrl+V.
  const readClip = () => (existsSync(clipFile) ? readFileSync(clipFile, 'utf8') : '');
  await page.evaluate(() => navigator.clipboard.writeText('ctrl-v-ñ3'));
  const beforePaste = readLog().length;
  await page.focus('#keys');
  await page.keyboard.press('Control+v');
  await until(() => readLog().slice(beforePaste).includes(' v\n') && readClip().includes('ctrl-v'), 10000, 'Ctrl+V in the session').catch(() => undefined);
  await sleep(300);
  const pasteLog = readLog().slice(beforePaste).split('\n').filter((l) => /^(key |modifiers |selection )/.test(l));
  check('paste', { inSession: readClip(), log: pasteLog });

  // Touch (CDP touch events, as a touch screen delivers them): a tap at video
  // pixel (420, 300) is a left click there; two fingers moving up scroll.
  const touch = (type, points) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points });
  const videoScale = () => page.evaluate(() => {
    const v = document.getElementById('video');
    const r = v.getBoundingClientRect();
    return 1 / Math.min(r.width / v.videoWidth, r.height / v.videoHeight); // video pixels per CSS pixel
  });
  const beforeTap = readLog().length;
  const tapAt = await pagePoint(page, 420, 300);
  await touch('touchStart', [{ x: tapAt.x, y: tapAt.y, id: 1 }]);
  await touch('touchEnd', []);
  await until(() => readLog().slice(beforeTap).includes('button 272 released'), 10000, 'the tap reaches the client').catch(() => undefined);
  const tapLog = readLog().slice(beforeTap).split('\n').filter((l) => /^(motion |pointer-enter |button )/.test(l));
  const beforeScroll = readLog().length;
  const f1 = await pagePoint(page, 300, 350), f2 = await pagePoint(page, 360, 350);
  const steps = 4, stepCss = 20;
  await touch('touchStart', [{ x: f1.x, y: f1.y, id: 1 }, { x: f2.x, y: f2.y, id: 2 }]);
  for (let i = 1; i <= steps; i++)
    await touch('touchMove', [{ x: f1.x, y: f1.y - stepCss * i, id: 1 }, { x: f2.x, y: f2.y - stepCss * i, id: 2 }]);
  await touch('touchEnd', []);
  const scrollLog = () => readLog().slice(beforeScroll).split('\n').filter((l) => /^(axis|button )/.test(l));
  await until(() => scrollLog().filter((l) => l.startsWith('axis 0 ')).length >= steps, 10000, 'two-finger scroll').catch(() => undefined);
  await sleep(300);
  const axis = scrollLog().filter((l) => l.startsWith('axis 0 ')).map((l) => Number(l.split(' ')[2]));
  check('touch', {
    tapTarget: [420, 300], tap: tapLog, scroll: scrollLog(),
    scrollSum: axis.reduce((a, b) => a + b, 0),
    // fingers moved up by steps * stepCss CSS pixels; half of it, in video pixels, scrolls down
    scrollWant: (steps * stepCss * (await videoScale())) / 2,
  });

  // Pointer lock (settings): the click takes the lock, motion arrives as
  // relative motion of the session's pointer.
  await page.click('#tb-settings');
  await page.check('#set-pointerlock');
  await page.click('#tb-settings');
  const lockAt = await pagePoint(page, 100, 100);
  await page.mouse.click(lockAt.x, lockAt.y);
  const locked = await until(() => page.evaluate(() => document.pointerLockElement?.id ?? ''), 5000, 'pointer lock').catch(() => '');
  const beforeLock = readLog().length;
  await page.mouse.move(lockAt.x + 30, lockAt.y);
  await page.mouse.move(lockAt.x + 30, lockAt.y + 20);
  const lockMotion = () => readLog().slice(beforeLock).split('\n').filter((l) => l.startsWith('motion '));
  await until(() => lockMotion().length >= 2, 5000, 'relative motion').catch(() => undefined);
  await sleep(300);
  const lockScale = await videoScale();
  await page.evaluate(() => document.exitPointerLock()); // what Esc does
  await page.click('#tb-settings');
  await page.uncheck('#set-pointerlock');
  await page.click('#tb-settings');
  check('pointer-lock', { locked, start: [100, 100], want: [100 + 30 * lockScale, 100 + 20 * lockScale], motion: lockMotion() });

  // Resize the desktop to the window.
  await page.click('#tb-settings');
  await page.selectOption('#set-scale', 'resize');
  await page.click('#tb-settings');
  await page.setViewportSize({ width: 900, height: 620 });
  const want = await page.evaluate(() => {
    const r = document.getElementById('surface').getBoundingClientRect();
    const even = (v) => Math.min(8192, Math.max(64, Math.round(v * devicePixelRatio) - (Math.round(v * devicePixelRatio) % 2)));
    return [even(r.width), even(r.height)];
  });
  const resized = await until(async () => {
    const s = await page.evaluate((id) => window.vdiApp.api.session(id), rec.id);
    return s.width === want[0] && s.height === want[1] ? s : null;
  }, 15000, 'the session resized').catch(() => null);
  const videoSize = await until(async () => {
    const v = await page.evaluate(() => [document.getElementById('video').videoWidth, document.getElementById('video').videoHeight]);
    return v[0] === want[0] && v[1] === want[1] ? v : null;
  }, 15000, 'the video resized').catch(() => page.evaluate(() => [document.getElementById('video').videoWidth, document.getElementById('video').videoHeight]));
  await until(() => /configured \d+ \d+/.test(readLog()), 1000, '').catch(() => undefined);
  check('resize', { want, session: resized ? [resized.width, resized.height] : null, video: videoSize });
  await page.click('#tb-settings');
  await page.selectOption('#set-scale', 'fit');
  await page.click('#tb-settings');

  // A dropped connection reconnects.
  const framesBefore = await frames(page);
  await page.evaluate(() => window.vdiApp.desktop.conn.dropForTest());
  const states = new Set();
  const reconnected = await until(async () => {
    const st = await connState(page);
    states.add(st);
    const c = await page.evaluate(() => window.vdiApp.desktop.conn.reconnects);
    return c >= 1 && st === 'playing' && (await frames(page)) > framesBefore + 10 ? c : null;
  }, 30000, 'a reconnection').catch(() => 0);
  check('reconnect', { reconnects: reconnected, states: [...states], framesBefore, framesAfter: await frames(page) });
  // The input channel works again after the reconnection.
  await page.waitForFunction(() => window.vdiApp.desktop?.input?.channel?.channel.readyState === 'open', null, { timeout: 10000 }).catch(() => undefined);
  const beforeKey = readLog().length;
  await page.focus('#keys');
  await page.keyboard.press('x');
  await until(() => readLog().slice(beforeKey).includes('key pressed'), 5000, 'a key after reconnecting').catch(() => undefined);
  check('after-reconnect', { keys: readLog().slice(beforeKey).split('\n').filter((l) => l.startsWith('key pressed')) });

  // ---- the session ended: a clear message ------------------------------------
  await page.evaluate((id) => window.vdiApp.api.stop(id), terminal);
  await page.evaluate((id) => (location.hash = `#/s/${id}`), terminal);
  await page.waitForSelector('#message:not([hidden])', { timeout: 10000 }).catch(() => undefined);
  check('ended', { message: await page.textContent('#message-text') });

  // ---- another user cannot open it -------------------------------------------
  await page.evaluate(() => (location.hash = '#/'));
  await page.click('#logout');
  await signIn(page, otherUser, otherPassword);
  await page.waitForSelector('#sessions-view:not([hidden])');
  const listed = await page.locator(`tr[data-session="${rec.id}"]`).count();
  await page.evaluate((id) => (location.hash = `#/s/${id}`), rec.id);
  await page.waitForSelector('#message:not([hidden])', { timeout: 10000 }).catch(() => undefined);
  await shot(page, shots, 'other-user.png');
  check('other-user', { listed, message: await page.textContent('#message-text'), frames: await frames(page) });

  // Keyboard navigation outside the desktop: Tab reaches labelled controls.
  await page.evaluate(() => (location.hash = '#/'));
  await page.waitForSelector('#sessions-view:not([hidden])');
  const focusable = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    focusable.push(await page.evaluate(() => {
      const e = document.activeElement;
      const label = e?.getAttribute('aria-label') || e?.labels?.[0]?.textContent?.trim() || e?.textContent?.trim() || '';
      return `${e?.tagName.toLowerCase()}:${label.slice(0, 30)}`;
    }));
  }
  check('keyboard-navigation', { focusable });
  // Phone-sized: the list stays usable.
  await page.setViewportSize({ width: 390, height: 760 });
  await shot(page, shots, 'phone.png');
  check('responsive', { scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth), width: 390 });
  return { ok: true };
}

async function hls() {
  const [user, password, shots] = args;
  const page = await newPage(960, 640);
  await signIn(page, user, password);
  await page.waitForSelector('#sessions-view:not([hidden])');
  // A terminal, so the picture has something in it (a bare sway is one grey).
  const s = await page.evaluate(() => window.vdiApp.api.create({ apps: [['foot']] }));
  await until(async () => (await page.evaluate((id) => window.vdiApp.api.session(id), s.id)).state !== 'starting', 30000, 'running');
  const info = await page.evaluate((id) => window.vdiApp.api.session(id), s.id);
  // No TURN server and relay-only ICE: WebRTC cannot connect.
  const t0 = Date.now();
  await page.evaluate((id) => (location.hash = `#/s/${id}?ice=relay&timeout=5`), s.id);
  await until(async () => (await connState(page)) === 'hls', 60000, 'the HLS fallback').catch(() => undefined);
  const state = await connState(page);
  await waitFrames(page, 10, 40000).catch(() => undefined);
  const picture = state === 'hls' ? await videoPicture(page) : null;
  await shot(page, shots, 'hls-fallback.png');
  check('hls', {
    urls: info.urls, state, seconds: (Date.now() - t0) / 1000, frames: await frames(page), picture,
    banner: await page.evaluate(() => { const b = document.getElementById('banner'); return b.hidden ? '' : b.textContent; }),
    viewOnly: await page.evaluate(() => window.vdiApp.settings.viewOnly),
    log: await page.evaluate(() => window.vdiApp.connLog),
  });
  return { ok: true };
}

async function sharePlay() {
  const page = await newPage(800, 600);
  await page.goto(base + '/' + args[0]);
  await page.waitForFunction(() => window.vdiApp !== undefined);
  await waitFrames(page, 5, 30000);
  return page.evaluate(() => {
    const v = document.getElementById('video');
    const d = window.vdiApp.desktop;
    return { frames: d.conn.framesPresented, width: v.videoWidth, height: v.videoHeight, state: d.conn.state, viewOnly: window.vdiApp.settings.viewOnly };
  });
}

async function gnome() {
  const [user, password, runtime, inputClient, shots] = args;
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await newPage(1024, 700);
  await signIn(page, user, password);
  await page.waitForSelector('#sessions-view:not([hidden])');
  // The recording client starts once the test says so: first the bare
  // desktop is looked at.
  const sh = (cmd) => ['sh', '-c', cmd];
  // Mutter has no data control (no wl-copy --watch): the recording client
  // copies on a command (its stdin follows the file cmd), and a one-shot
  // wl-paste reads the session's clipboard when told to.
  const s = await page.evaluate((apps) => window.vdiApp.api.create({ apps }), [
    sh(`while [ ! -e "$XDG_RUNTIME_DIR/go" ]; do sleep 0.1; done; : > "$XDG_RUNTIME_DIR/cmd"; tail -f "$XDG_RUNTIME_DIR/cmd" | exec ${inputClient} > "$XDG_RUNTIME_DIR/input.log" 2>&1`),
    sh(`while [ ! -e "$XDG_RUNTIME_DIR/paste-go" ]; do sleep 0.1; done; exec wl-paste -n -t text > "$XDG_RUNTIME_DIR/pasted"`),
  ]);
  await openFromList(page, s.id);
  await waitFrames(page, 3);
  // GNOME Shell's overview at start-up: top bar, search, dash.
  const desktop = await until(async () => {
    const p = await videoPicture(page);
    return p.levels > 8 ? p : null;
  }, 20000, 'the GNOME desktop in the video').catch(() => videoPicture(page));
  await shot(page, shots, 'gnome-desktop.png');
  const session = await page.evaluate((id) => window.vdiApp.api.session(id), s.id);
  check('desktop', { ...desktop, compositor: session.compositor, frames: await frames(page) });

  // The pointer is not in the video: the page draws the one the session
  // sends. Mutter has none until the pointer is first used.
  await page.waitForFunction(() => window.vdiApp.desktop?.channel !== undefined, null, { timeout: 15000 });
  const cursor = async () => {
    const c = await page.evaluate(() => ({ ...window.vdiApp.desktop.cursor.view, videoCursor: document.getElementById('video').style.cursor }));
    return { ...c, videoCursor: c.videoCursor.slice(0, 40) };
  };
  const to = await pagePoint(page, 300, 400);
  await page.mouse.move(to.x, to.y, { steps: 4 });
  const moved = await until(async () => {
    const c = await cursor();
    return Math.abs(c.x - 300) <= 1 && Math.abs(c.y - 400) <= 1 ? c : null;
  }, 10000, 'the cursor position').catch(() => cursor());
  // A viewer that connects now gets the whole current cursor at once,
  // without a move: a new connection of the page.
  await page.evaluate(() => (location.hash = '#/'));
  await openFromList(page, s.id);
  await waitFrames(page, 1);
  await page.waitForFunction(() => window.vdiApp.desktop?.channel !== undefined, null, { timeout: 15000 });
  const onConnect = await until(async () => ((await cursor()).shapes > 0 ? cursor() : null), 5000, 'the cursor on connect').catch(() => cursor());
  check('cursor', { moved, onConnect });

  const log = join(runtime, s.id, 'input.log');
  const readLog = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  writeFileSync(join(runtime, s.id, 'go'), '');
  await until(() => readLog().includes('configured'), 20000, 'the recording client shows its window');
  // A click at video pixel (200, 150) (repeated until the client has the
  // pointer: its window maps while the overview closes).
  await until(async () => {
    const p = await pagePoint(page, 200, 150);
    await page.mouse.click(p.x, p.y);
    await sleep(300);
    return readLog().includes('button 272 pressed');
  }, 20000, 'the click reaches the client').catch(() => undefined);
  const lines = readLog().split('\n');
  const pressAt = lines.findIndex((l) => l.startsWith('button 272 pressed'));
  const motion = pressAt < 0 ? undefined : lines.slice(0, pressAt).reverse().find((l) => l.startsWith('motion ') || l.startsWith('pointer-enter '));
  check('click', { target: [200, 150], motion, pressed: pressAt >= 0 });
  const before = readLog().length;
  await page.focus('#keys');
  await page.keyboard.type('gnome', { delay: 30 });
  const pressed = () => readLog().slice(before).split('\n').filter((l) => l.startsWith('key pressed')).map((l) => l.split(' ').slice(3).join(' '));
  await until(() => pressed().length >= 5, 10000, 'five keys').catch(() => undefined);
  await shot(page, shots, 'gnome-client.png');
  check('keys', { pressed: pressed() });

  // Layouts from the settings panel: GNOME Shell's input sources follow
  // (they live in the user's dconf and outlast the session: first "fr",
  // so that a switch is seen whatever the last session left), then "de",
  // where Mutter types with the German keymap (@ is AltGr+q there).
  const setLayout = async (layout, name) => {
    const from = readLog().length;
    await page.click('#tb-settings');
    await page.selectOption('#set-layout', layout);
    await page.click('#tb-settings');
    await until(() => readLog().slice(from).includes(`keymap ${name}`), 15000, `the session switched to ${layout}`).catch(() => undefined);
    return readLog().slice(from).includes(`keymap ${name}`);
  };
  const switched = { fr: await setLayout('fr', 'French'), de: await setLayout('de', 'German') };
  const beforeDe = readLog().length;
  await page.focus('#keys');
  await page.keyboard.type('@€ßä', { delay: 30 });
  // Mutter presses the level keys (AltGr, Shift) as keys: leave them out.
  const typed = () => readLog().slice(beforeDe).split('\n').filter((l) => l.startsWith('key pressed')).map((l) => l.split(' ').slice(3).join(' ')).filter((k) => !/^(ISO_Level3_Shift|Shift_[LR])$/.test(k));
  await until(() => typed().length >= 4, 10000, 'four keys on de').catch(() => undefined);
  const atKey = readLog().slice(beforeDe).split('\n').find((l) => / at$/.test(l));
  check('layout', { switched, keymap: (readLog().match(/keymap .*/g) ?? []).pop(), pressed: typed(), atKey });

  // Clipboard: copied in the session (the client, just typed into, owns
  // the selection), it appears in the page...
  const dir = join(runtime, s.id);
  writeFileSync(join(dir, 'copy-me'), 'from-gnome-42');
  appendFileSync(join(dir, 'cmd'), `copy ${join(dir, 'copy-me')}\n`);
  await page.click('#tb-clipboard');
  const fromSession = await until(async () => (await page.inputValue('#clip-from')) || null, 10000, 'the session clipboard in the page').catch(() => '');
  const pageClipboard = await page.evaluate(() => navigator.clipboard.readText().catch((e) => `error: ${e}`));
  // ...and pasted in the page, it is offered to the focused client and
  // pasted in the session.
  const beforeSend = readLog().length;
  await page.fill('#clip-to', 'from-page-ü7');
  await page.click('#clip-send');
  const offered = await until(() => readLog().slice(beforeSend).split('\n').find((l) => l.startsWith('selection text/plain')), 10000, 'the offer in the client').catch(() => undefined);
  writeFileSync(join(dir, 'paste-go'), '');
  const pasted = join(dir, 'pasted');
  const readPasted = () => (existsSync(pasted) ? readFileSync(pasted, 'utf8') : '');
  const inSession = await until(() => (readPasted().includes('from-page') ? readPasted() : null), 15000, 'the page clipboard in the session').catch(() => readPasted());
  await page.click('#tb-clipboard');
  check('clipboard', { fromSession, pageClipboard, offered, inSession });
  await setLayout('us', 'English'); // the user's GNOME layout as it was
  return { ok: true, id: s.id };
}

await runScenario({ close, label: 'browser scenario', timeoutMs: 170000 }, async () => {
  let out;
  if (scenario === 'full') out = await full();
  else if (scenario === 'hls') out = await hls();
  else if (scenario === 'share-play') out = await sharePlay();
  else if (scenario === 'gnome') out = await gnome();
  else out = { error: `unknown scenario ${scenario}` };
  console.log(`result ${JSON.stringify(out)}`);
});
