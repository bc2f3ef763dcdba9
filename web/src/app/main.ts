// The gst-vdi web client served by vdid at "/": sign-in, the session list
// and the desktop view. Routes (location.hash):
//   #/                      the session list (or the sign-in form)
//   #/s/ID                  the desktop of session ID
//   #/s/ID?token=T          the same through a share link (no sign-in)
// Options of the desktop route: transport=hls|webrtc-only, ice=relay,
// timeout=SECONDS (WebRTC's time to show a first frame before HLS).

import { InputChannel, utf8FromBase64 } from '../input';
import { ReceiverStats } from '../stats';
import { Api, ApiError, SessionInfo, WhoAmI } from './api';
import { Connection, ConnState } from './connection';
import { SessionCursor } from './cursor';
import { DesktopInput } from './desktop-input';
import { defaultLayout, LAYOUTS } from './layouts';
import { Microphone, Sound } from './sound';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const api = new Api();
let me: WhoAmI | undefined;

const prefs = {
  get<T>(key: string, fallback: T): T {
    try {
      const v = localStorage.getItem('vdi.' + key);
      return v === null ? fallback : (JSON.parse(v) as T);
    } catch {
      return fallback;
    }
  },
  set(key: string, value: unknown): void {
    try {
      localStorage.setItem('vdi.' + key, JSON.stringify(value));
    } catch {
      // private mode: settings last for this page only
    }
  },
};

function show(view: 'login' | 'sessions' | 'desktop'): void {
  for (const v of ['login', 'sessions', 'desktop']) $(`${v}-view`).hidden = v !== view;
}

function route(): { view: string; id: string; params: URLSearchParams } {
  const h = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const [path, query] = h.split('?');
  const m = /^\/s\/([^/]+)$/.exec(path);
  return { view: m ? 'desktop' : 'sessions', id: m ? decodeURIComponent(m[1]) : '', params: new URLSearchParams(query ?? '') };
}

async function render(): Promise<void> {
  const r = route();
  closeDesktop();
  api.token = r.params.get('token') ?? '';
  try {
    me = await api.whoami();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && !api.token) {
      show('login');
      $('login-user').focus();
      return;
    }
    if (r.view !== 'desktop') return showFatal(String(e instanceof Error ? e.message : e));
  }
  if (r.view === 'desktop') return openDesktop(r.id, r.params);
  show('sessions');
  $('whoami').textContent = me ? `${me.user}${me.admin ? ' (admin)' : ''}` : '';
  await refreshList();
}

function showFatal(text: string): void {
  show('login');
  $('login-error').textContent = text;
}

// ---- sign-in -------------------------------------------------------------

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const user = $<HTMLInputElement>('login-user').value.trim();
  const password = $<HTMLInputElement>('login-password').value;
  const button = $<HTMLButtonElement>('login-submit');
  button.disabled = true;
  $('login-error').textContent = '';
  try {
    await api.login(user, password);
    $<HTMLInputElement>('login-password').value = '';
    if (!location.hash.startsWith('#/')) location.hash = '#/';
    await render();
  } catch (err) {
    $('login-error').textContent =
      err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : String(err instanceof Error ? err.message : err);
  } finally {
    button.disabled = false;
  }
});

$('logout').addEventListener('click', async () => {
  await api.logout().catch(() => undefined);
  me = undefined;
  location.hash = '#/';
  await render();
});

// ---- session list ----------------------------------------------------------

let listTimer: ReturnType<typeof setInterval> | undefined;

async function refreshList(): Promise<void> {
  clearInterval(listTimer);
  let list: SessionInfo[] = [];
  try {
    list = await api.sessions();
    $('list-error').textContent = '';
  } catch (e) {
    $('list-error').textContent = String(e instanceof Error ? e.message : e);
  }
  const rows = $('session-rows');
  rows.replaceChildren(...list.map(sessionRow));
  $('list-empty').hidden = list.length > 0;
  $('session-table').hidden = list.length === 0;
  // Keep states fresh while sessions start.
  listTimer = setInterval(() => {
    if (!$('sessions-view').hidden && !document.querySelector('dialog[open]')) void refreshList();
    else clearInterval(listTimer);
  }, list.some((s) => s.state === 'starting') ? 1000 : 5000);
}

function button(text: string, label: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.setAttribute('aria-label', label);
  if (cls) b.className = cls;
  b.addEventListener('click', onClick);
  return b;
}

function sessionRow(s: SessionInfo): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.session = s.id;
  const cell = (text: string, cls = '') => {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.append(td);
    return td;
  };
  cell(`${s.id}${me?.admin && s.user !== me.user ? ` (${s.user})` : ''}`);
  cell(s.state + (s.reason ? `: ${s.reason}` : ''), `state-${s.state}`);
  cell(`${s.width} × ${s.height} @ ${s.fps}`);
  cell(String(s.viewers ?? 0));
  const actions = cell('', 'actions');
  const open = button('Open', `Open desktop ${s.id}`, () => (location.hash = `#/s/${encodeURIComponent(s.id)}`), 'primary');
  open.disabled = s.state !== 'running';
  actions.append(
    open,
    button('Share', `Share desktop ${s.id}`, () => openShare(s.id)),
    button('Stop', `Stop desktop ${s.id}`, async () => {
      if (!confirm(`Stop desktop ${s.id}? Its applications are closed.`)) return;
      try {
        await api.stop(s.id);
      } catch (e) {
        $('list-error').textContent = String(e instanceof Error ? e.message : e);
      }
      await refreshList();
    }, 'danger'),
  );
  return tr;
}

/** An even size in device pixels, within vdid's limits. */
function evenSize(css: number): number {
  const px = Math.round(css * (window.devicePixelRatio || 1));
  return Math.min(8192, Math.max(64, px - (px % 2)));
}

$('create-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const size = $<HTMLSelectElement>('create-size').value;
  const spec: { width?: number; height?: number; fps?: number; apps?: string[][]; compositor?: string } = {
    fps: Number($<HTMLSelectElement>('create-fps').value),
  };
  if (size === 'window') {
    spec.width = evenSize(window.innerWidth);
    spec.height = evenSize(window.innerHeight - 40); // the toolbar
  } else if (size !== 'default') {
    const [w, h] = size.split('x').map(Number);
    spec.width = w;
    spec.height = h;
  }
  const app = $<HTMLSelectElement>('create-app').value;
  if (app) spec.apps = [[app]];
  const compositor = $<HTMLSelectElement>('create-compositor').value;
  if (compositor) spec.compositor = compositor;
  $('create-error').textContent = '';
  try {
    await api.create(spec);
  } catch (err) {
    $('create-error').textContent = String(err instanceof Error ? err.message : err);
  }
  await refreshList();
});

let shareId = '';
function openShare(id: string): void {
  shareId = id;
  $<HTMLInputElement>('share-link').value = '';
  $('share-error').textContent = '';
  $<HTMLDialogElement>('share-dialog').showModal();
}
$('share-make').addEventListener('click', async () => {
  try {
    const role = $<HTMLSelectElement>('share-role').value as 'view' | 'control';
    const t = await api.share(shareId, role, Number($<HTMLSelectElement>('share-expiry').value));
    const link = new URL(location.href);
    link.hash = `#/s/${encodeURIComponent(shareId)}?token=${encodeURIComponent(t.token)}`;
    $<HTMLInputElement>('share-link').value = link.toString();
    $<HTMLInputElement>('share-link').select();
  } catch (e) {
    $('share-error').textContent = String(e instanceof Error ? e.message : e);
  }
});
$('share-copy').addEventListener('click', () => {
  void navigator.clipboard?.writeText($<HTMLInputElement>('share-link').value).catch(() => undefined);
});

// ---- desktop ---------------------------------------------------------------

interface DesktopState {
  id: string;
  info?: SessionInfo;
  conn?: Connection;
  input?: DesktopInput;
  /** The session's pointer, drawn locally when the stream sends it. */
  cursor?: SessionCursor;
  channel?: InputChannel;
  viewOnly: boolean;
  clipboardIn: string[];
  resizeTimer?: ReturnType<typeof setTimeout>;
  observer?: ResizeObserver;
  lastResize?: { width: number; height: number };
  resizes: number;
}

let desktop: DesktopState | undefined;

const settings = {
  viewOnly: false,
  physicalKeys: prefs.get('physicalKeys', false),
  smoothScroll: prefs.get('smoothScroll', true),
  pointerLock: prefs.get('pointerLock', false),
};

function fillLayouts(): void {
  const sel = $<HTMLSelectElement>('set-layout');
  for (const [value, label] of LAYOUTS) {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    sel.append(o);
  }
  sel.value = prefs.get('layout', defaultLayout(navigator.language));
}
fillLayouts();
$<HTMLInputElement>('set-physical').checked = settings.physicalKeys;
$<HTMLInputElement>('set-smooth').checked = settings.smoothScroll;
$<HTMLInputElement>('set-pointerlock').checked = settings.pointerLock;
$<HTMLSelectElement>('set-scale').value = prefs.get('scale', 'fit');
$<HTMLInputElement>('set-clipsync').checked = prefs.get('clipSync', true);

function setStatus(text: string): void {
  $('status').textContent = text;
}

function showMessage(text: string, retry: boolean): void {
  $('message-text').textContent = text;
  $('message-retry').hidden = !retry;
  $('message').hidden = false;
  $('message-back').focus();
}

function closeDesktop(): void {
  if (!desktop) return;
  desktop.conn?.close();
  microphone.off();
  microphone.attach(undefined);
  desktop.input?.detach();
  desktop.cursor?.reset();
  desktop.observer?.disconnect();
  clearTimeout(desktop.resizeTimer);
  desktop = undefined;
  const v = $<HTMLVideoElement>('video');
  v.srcObject = null;
  v.removeAttribute('src');
  if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
}

async function openDesktop(id: string, params: URLSearchParams): Promise<void> {
  show('desktop');
  $('message').hidden = true;
  $('banner').hidden = true;
  $('tb-title').textContent = id;
  setStatus('connecting…');
  const d: DesktopState = { id, viewOnly: me?.role === 'view', clipboardIn: [], resizes: 0 };
  desktop = d;
  let info: SessionInfo;
  try {
    info = await api.session(id);
  } catch (e) {
    if (desktop !== d) return;
    const text =
      e instanceof ApiError && e.status === 404
        ? `There is no desktop ${id} for you: it ended, or it belongs to someone else.`
        : e instanceof ApiError && e.status === 410
          ? lostMessage(e.message)
          : String(e instanceof Error ? e.message : e);
    setStatus('');
    return showMessage(text, false);
  }
  if (desktop !== d) return;
  d.info = info;
  if (info.state === 'failed') return showMessage(`This desktop failed: ${info.reason ?? 'unknown reason'}`, false);
  if (info.state === 'lost') return showMessage(lostMessage(info.reason), false);
  settings.viewOnly = d.viewOnly;
  updateBanner();
  const video = $<HTMLVideoElement>('video');
  d.input = new DesktopInput($('surface'), video, $<HTMLTextAreaElement>('keys'), settings);
  d.cursor = new SessionCursor(video);
  const conn = new Connection(api, info, video, {
    state: (s, detail) => desktop === d && connState(d, s, detail),
    channel: (ch) => desktop === d && channelOpen(d, ch),
    stats: (s) => desktop === d && showStats(d, s),
  }, {
    transport: (params.get('transport') as 'hls' | 'webrtc-only' | null) ?? 'webrtc',
    iceTransportPolicy: params.get('ice') === 'relay' ? 'relay' : 'all',
    connectTimeout: Number(params.get('timeout') ?? 12),
  });
  d.conn = conn;
  applyScale();
  conn.start();
  d.input.focus();
}

/** What a user of a session whose node stopped answering reads. */
function lostMessage(reason?: string): string {
  return `This desktop is lost: ${reason ?? 'the server it ran on stopped answering'}. Start a new desktop from the list.`;
}

function updateBanner(): void {
  const d = desktop;
  if (!d) return;
  const hls = d.conn?.state === 'hls';
  const b = $('banner');
  b.hidden = !(hls || d.viewOnly);
  b.textContent = hls
    ? 'View only: WebRTC could not connect, this is the HLS stream (a few seconds behind).'
    : 'View only: this share link does not allow control.';
  settings.viewOnly = d.viewOnly || hls;
}

/** The last connection state changes (for support and tests). */
const connLog: Array<{ t: number; state: ConnState; detail: string }> = [];

function connState(d: DesktopState, s: ConnState, detail: string): void {
  connLog.push({ t: Math.round(performance.now()), state: s, detail });
  if (connLog.length > 50) connLog.shift();
  const text: Record<ConnState, string> = {
    connecting: 'connecting…',
    playing: '',
    reconnecting: `reconnecting: ${detail}`,
    hls: 'HLS (view only)',
    ended: '',
    failed: '',
    lost: '',
  };
  setStatus(text[s]);
  updateBanner();
  sound.render();
  microphone.attach(s === 'playing' ? d.conn?.rtc?.pc : undefined);
  if (s === 'ended') showMessage(detail || 'The session has ended.', false);
  else if (s === 'failed') showMessage(`This desktop failed: ${detail}`, false);
  else if (s === 'lost') showMessage(lostMessage(detail), false);
  else if (s === 'playing') {
    $('message').hidden = true;
    // After a reconnection, the keyboard layout must be set again.
    if (d.channel) sendLayout(d);
  }
}

function sendLayout(d: DesktopState): void {
  const [layout, variant] = $<HTMLSelectElement>('set-layout').value.split(':');
  d.input?.setLayout(layout, variant ?? '');
}

function channelOpen(d: DesktopState, ch: InputChannel): void {
  d.channel = ch;
  if (!d.input) return;
  d.input.channel = ch;
  ch.onMessage = (m) => {
    if (d.cursor?.handle(m)) return;
    if (m.type !== 'vdi-clipboard' || typeof m.data !== 'string') return;
    const mime = typeof m.mime === 'string' ? m.mime : '';
    if (mime && !mime.startsWith('text/') && mime !== 'UTF8_STRING' && mime !== 'STRING') return;
    const text = utf8FromBase64(m.data);
    d.clipboardIn.push(text);
    if (d.input) d.input.lastClipboard = text;
    $<HTMLTextAreaElement>('clip-from').value = text;
    if ($<HTMLInputElement>('set-clipsync').checked && document.hasFocus())
      void navigator.clipboard?.writeText(text).then(
        () => ($('clip-note').textContent = 'Copied to this computer’s clipboard.'),
        () => ($('clip-note').textContent = 'The browser did not allow writing the clipboard: copy it from the box above.'),
      );
  };
  if (!d.viewOnly) {
    sendLayout(d);
    void syncClipboardIn();
  }
}

/** Sends this computer's clipboard to the session, if the browser lets us
 * read it without asking (Async Clipboard API, permission granted). */
async function syncClipboardIn(): Promise<void> {
  const d = desktop;
  if (!d?.input?.channel || settings.viewOnly || !$<HTMLInputElement>('set-clipsync').checked) return;
  try {
    const perm = await navigator.permissions.query({ name: 'clipboard-read' as PermissionName });
    if (perm.state !== 'granted') return;
    const text = await navigator.clipboard.readText();
    if (text && text !== d.input.lastClipboard) d.input.setClipboard(text);
  } catch {
    // no permission or no clipboard API: the paste box and Ctrl+V remain
  }
}
window.addEventListener('focus', () => void syncClipboardIn());

const sound = new Sound($<HTMLVideoElement>('video'), $<HTMLButtonElement>('sound-unmute'),
  $<HTMLButtonElement>('tb-mute'), $<HTMLInputElement>('tb-volume'));
const microphone = new Microphone($<HTMLButtonElement>('tb-mic'));
// The audio track may arrive after the state changed.
$<HTMLVideoElement>('video').addEventListener('loadedmetadata', () => sound.render());

function showStats(d: DesktopState, s: ReceiverStats): void {
  const latency = s.rttMs / 2 + s.jitterBufferMs + s.decodeMs;
  const el = $('latency');
  el.className = 'latency ' + (latency < 40 ? 'good' : latency < 100 ? 'fair' : 'poor');
  $('latency-text').textContent = `${Math.round(latency)} ms`;
  el.setAttribute('aria-label', `estimated latency ${Math.round(latency)} milliseconds`);
  el.title = 'network RTT/2 + jitter buffer + decode';
  if ($('stats').hidden) return;
  $('stats').textContent = [
    `${s.width}×${s.height}  ${s.fps.toFixed(1)} fps  ${s.codec}`,
    `bitrate   ${(s.bitrateKbps / 1000).toFixed(2)} Mbit/s`,
    `RTT       ${s.rttMs.toFixed(1)} ms`,
    `loss      ${s.packetsLost} packets (${s.lossPercent.toFixed(2)} %)`,
    `jitter buffer ${s.jitterBufferMs.toFixed(1)} ms`,
    `decode    ${s.decodeMs.toFixed(2)} ms/frame (${s.decoder || 'browser'})`,
    s.audioCodec
      ? `audio     ${s.audioCodec} ${s.audioBitrateKbps.toFixed(0)} kbit/s, jitter buffer ${s.audioJitterBufferMs.toFixed(1)} ms`
      : 'audio     none',
    `encoder   ${d.conn?.info.encoder ?? d.info?.encoder ?? '?'}`,
    `latency   ≈ ${latency.toFixed(0)} ms`,
    d.conn?.reconnects ? `reconnects ${d.conn.reconnects}` : '',
  ].filter(Boolean).join('\n');
}

// ---- toolbar ---------------------------------------------------------------

$('tb-back').addEventListener('click', () => (location.hash = '#/'));
$('message-back').addEventListener('click', () => (location.hash = '#/'));
$('message-retry').addEventListener('click', () => void render());

$('tb-fullscreen').addEventListener('click', () => void toggleFullscreen());
async function toggleFullscreen(): Promise<void> {
  if (document.fullscreenElement) return void document.exitFullscreen();
  await $('desktop-view').requestFullscreen({ navigationUI: 'hide' }).catch(() => undefined);
}
document.addEventListener('fullscreenchange', () => {
  // Keyboard lock: in fullscreen, Ctrl+W, Alt+Tab-like and Super keys reach
  // the desktop (Chromium); hold Esc to leave.
  const kb = (navigator as unknown as { keyboard?: { lock?: () => Promise<void>; unlock?: () => void } }).keyboard;
  if (document.fullscreenElement) void kb?.lock?.().catch(() => undefined);
  else kb?.unlock?.();
  desktop?.input?.focus();
});

$('tb-osk').addEventListener('click', () => {
  const keys = $<HTMLTextAreaElement>('keys');
  keys.setAttribute('inputmode', 'text');
  keys.blur();
  keys.focus();
  keys.addEventListener('blur', () => keys.setAttribute('inputmode', 'none'), { once: true });
});

function togglePanel(id: string, buttonId: string): void {
  const p = $(id);
  p.hidden = !p.hidden;
  $(buttonId).setAttribute('aria-expanded', String(!p.hidden));
  if (!p.hidden) p.querySelector<HTMLElement>('select, textarea, input, button')?.focus();
  else desktop?.input?.focus();
}
$('tb-clipboard').addEventListener('click', () => togglePanel('clipboard-panel', 'tb-clipboard'));
$('tb-settings').addEventListener('click', () => togglePanel('settings-panel', 'tb-settings'));
$('tb-stats').addEventListener('click', () => {
  $('stats').hidden = !$('stats').hidden;
  $('tb-stats').setAttribute('aria-pressed', String(!$('stats').hidden));
});
$('tb-hide').addEventListener('click', () => {
  $('toolbar').hidden = true;
  $('tb-show').hidden = false;
  desktop?.input?.focus();
});
$('tb-show').addEventListener('click', () => {
  $('toolbar').hidden = false;
  $('tb-show').hidden = true;
});
for (const panel of ['clipboard-panel', 'settings-panel'])
  $(panel).addEventListener('keydown', (e) => {
    if (e.key === 'Escape') togglePanel(panel, panel === 'clipboard-panel' ? 'tb-clipboard' : 'tb-settings');
  });

$('clip-send').addEventListener('click', () => {
  const text = $<HTMLTextAreaElement>('clip-to').value;
  if (text) desktop?.input?.setClipboard(text);
  $('clip-note').textContent = text ? 'Sent: paste it in the desktop with Ctrl+V.' : '';
});
$('clip-type').addEventListener('click', () => {
  desktop?.input?.typeText($<HTMLTextAreaElement>('clip-to').value);
});

$('set-layout').addEventListener('change', () => {
  prefs.set('layout', $<HTMLSelectElement>('set-layout').value);
  if (desktop) sendLayout(desktop);
});
$('set-physical').addEventListener('change', () => prefs.set('physicalKeys', (settings.physicalKeys = $<HTMLInputElement>('set-physical').checked)));
$('set-smooth').addEventListener('change', () => prefs.set('smoothScroll', (settings.smoothScroll = $<HTMLInputElement>('set-smooth').checked)));
$('set-clipsync').addEventListener('change', () => prefs.set('clipSync', $<HTMLInputElement>('set-clipsync').checked));
$('set-pointerlock').addEventListener('change', () => {
  prefs.set('pointerLock', (settings.pointerLock = $<HTMLInputElement>('set-pointerlock').checked));
  if (!settings.pointerLock && document.pointerLockElement) document.exitPointerLock();
});
document.addEventListener('pointerlockchange', () => $('surface').classList.toggle('locked', !!document.pointerLockElement));
$('set-scale').addEventListener('change', () => {
  prefs.set('scale', $<HTMLSelectElement>('set-scale').value);
  applyScale();
});

// ---- scaling and resize-to-window -----------------------------------------

function applyScale(): void {
  const d = desktop;
  const mode = $<HTMLSelectElement>('set-scale').value;
  const surface = $('surface');
  const video = $<HTMLVideoElement>('video');
  surface.classList.toggle('native', mode === 'native');
  // 1:1 device pixels: CSS size = video size / devicePixelRatio.
  const native = () => {
    if (!surface.classList.contains('native')) return;
    const dpr = window.devicePixelRatio || 1;
    video.style.width = `${video.videoWidth / dpr}px`;
    video.style.height = `${video.videoHeight / dpr}px`;
  };
  if (mode === 'native') native();
  else video.style.width = video.style.height = '';
  video.onresize = () => {
    native();
    d?.cursor?.rescale();
  };
  d?.cursor?.rescale();
  d?.observer?.disconnect();
  if (!d || mode !== 'resize' || d.viewOnly) return;
  d.observer = new ResizeObserver(() => scheduleResize(d));
  d.observer.observe(surface);
  scheduleResize(d);
}

function scheduleResize(d: DesktopState): void {
  clearTimeout(d.resizeTimer);
  d.resizeTimer = setTimeout(async () => {
    if (desktop !== d) return;
    const r = $('surface').getBoundingClientRect();
    const width = evenSize(r.width), height = evenSize(r.height);
    const info = d.conn?.info ?? d.info;
    if (!info || (info.width === width && info.height === height)) return;
    try {
      const updated = await api.resize(d.id, width, height);
      d.lastResize = { width, height };
      d.resizes++;
      if (d.conn) d.conn.info = updated;
      d.info = updated;
    } catch (e) {
      setStatus(`resize refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, 400);
}
window.addEventListener('resize', () => {
  desktop?.cursor?.rescale();
  if (desktop && $<HTMLSelectElement>('set-scale').value === 'native') applyScale();
});

window.addEventListener('hashchange', () => {
  if (location.hash === '' || location.hash.startsWith('#/')) void render();
});
$('main').addEventListener('focus', () => undefined);

// Exposed for tests and for embedding.
(window as unknown as Record<string, unknown>).vdiApp = {
  api,
  get desktop() {
    return desktop;
  },
  settings,
  connLog,
  sound,
  microphone,
};

void render();
