// Keyboard, mouse, wheel, touch and clipboard of the desktop view, sent on
// the session's input data channel (docs/input-protocol.md).
//
// Keyboard: keys travel as keysyms (what the key typed in the browser), so
// the session types exactly that character whatever its own layout: AltGr
// levels come with the character (AltGraph itself is not sent), dead keys
// and IME compositions are typed as their result (`vdi-text`). Physical-key
// mode sends `code` instead, for games and layout-independent shortcuts.
// A hidden textarea holds the focus, so that compositions, dead keys and
// the on-screen keyboard of phones work.

import { base64Utf8, InputChannel, keysymName, toVideoCoords } from '../input';

export interface InputSettings {
  viewOnly: boolean;
  physicalKeys: boolean;
  smoothScroll: boolean;
  pointerLock: boolean;
}

type Nav = Record<string, unknown>;

/** How long the first finger's press waits for a second finger (scroll). */
const TOUCH_HOLD_MS = 80;

/** Keys whose effect the browser has already applied to `key`: sending
 * them would apply them twice. */
const NOT_SENT = new Set(['AltGraph', 'CapsLock', 'NumLock', 'Dead', 'Unidentified', 'Process', 'Compose']);

export class DesktopInput {
  /** The channel to the session, once open. */
  channel?: InputChannel;
  /** The last clipboard text exchanged with the session (no echo). */
  lastClipboard = '';
  /** Counts of events sent, for the status line and tests. */
  sent = 0;
  private pressed = new Map<string, Nav>(); // code -> the KeyPress sent
  private lastKeyDown?: { code: string; t: number };
  private pendingPaste: KeyboardEvent | null = null;
  private composingDead = false;
  private pos = { x: 0, y: 0 };
  private touches = new Map<number, { x: number; y: number }>(); // pointerId -> last position, in order of landing
  private touchMode: 'none' | 'pending' | 'pointer' | 'scroll' = 'none';
  private touchPending?: { x: number; y: number; pressure: number };
  private touchTimer?: number;
  private scrollAcc = { x: 0, y: 0 };
  private detachers: Array<() => void> = [];

  constructor(
    readonly surface: HTMLElement,
    readonly video: HTMLVideoElement,
    readonly keys: HTMLTextAreaElement,
    readonly settings: InputSettings,
  ) {
    this.on(keys, 'keydown', (e) => this.keyDown(e as KeyboardEvent));
    this.on(keys, 'keyup', (e) => this.keyUp(e as KeyboardEvent));
    this.on(keys, 'input', (e) => this.textInput(e as InputEvent));
    this.on(keys, 'compositionend', (e) => this.compositionEnd(e as CompositionEvent));
    this.on(keys, 'blur', () => this.releaseAll());
    this.on(keys, 'paste', (e) => this.paste(e as ClipboardEvent));
    this.on(surface, 'pointerdown', (e) => this.pointer(e as PointerEvent, 'down'));
    this.on(surface, 'pointermove', (e) => this.pointer(e as PointerEvent, 'move'));
    this.on(surface, 'pointerup', (e) => this.pointer(e as PointerEvent, 'up'));
    this.on(surface, 'pointercancel', (e) => this.pointer(e as PointerEvent, 'cancel'));
    this.on(surface, 'wheel', (e) => this.wheel(e as WheelEvent));
    this.on(surface, 'contextmenu', (e) => e.preventDefault());
  }

  private on(t: EventTarget, name: string, h: (e: Event) => void): void {
    t.addEventListener(name, h, { passive: false });
    this.detachers.push(() => t.removeEventListener(name, h));
  }

  detach(): void {
    this.dropTouchPending();
    this.releaseAll();
    for (const d of this.detachers) d();
    this.detachers = [];
  }

  focus(): void {
    this.keys.focus({ preventScroll: true });
  }

  private nav(event: Nav): void {
    if (this.settings.viewOnly || !this.channel) return;
    this.sent++;
    void this.channel.navigation(event);
  }

  private custom(name: string, structure: Record<string, unknown>): void {
    if (this.settings.viewOnly || !this.channel) return;
    this.sent++;
    void this.channel.custom(name, structure);
  }

  /** Types @text in the session as text (exact characters, any layout). */
  typeText(text: string): void {
    if (text) this.custom('vdi-text', { text });
  }

  /** Makes @text the session's clipboard. */
  setClipboard(text: string): void {
    this.lastClipboard = text;
    this.custom('vdi-clipboard-set', { mime: 'text/plain;charset=utf-8', data: base64Utf8(text) });
  }

  setLayout(layout: string, variant = ''): void {
    const s: Record<string, unknown> = { layout };
    if (variant) s.variant = variant;
    this.custom('vdi-keyboard-layout', s);
  }

  /** Releases every key and button the session holds for us. */
  releaseAll(): void {
    if (this.pressed.size) this.custom('vdi-release-all', {});
    this.pressed.clear();
  }

  // ---- keyboard ----------------------------------------------------------

  private keyDown(e: KeyboardEvent): void {
    if (this.settings.viewOnly) return;
    if (e.isComposing || e.keyCode === 229) return; // an IME or the on-screen keyboard: see input
    if (e.key === 'Dead') {
      this.composingDead = true; // the browser composes; the result arrives as input
      return;
    }
    if (this.composingDead) return;
    // Windows sends a ControlLeft just before AltGr: it is not a Ctrl press.
    if (e.key === 'AltGraph' && this.lastKeyDown?.code === 'ControlLeft' && e.timeStamp - this.lastKeyDown.t < 5)
      this.release('ControlLeft');
    this.lastKeyDown = { code: e.code, t: e.timeStamp };
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'v' && !this.settings.physicalKeys) {
      // Let the browser fire "paste" first so that the session's clipboard
      // holds the text before the application sees Ctrl+V.
      this.pendingPaste = e;
      setTimeout(() => this.flushPaste(), 300);
      return;
    }
    if (NOT_SENT.has(e.key) && !(this.settings.physicalKeys && e.code)) {
      if (e.key !== 'Unidentified' && e.key !== 'Process') e.preventDefault();
      return;
    }
    e.preventDefault();
    if (e.repeat && this.pressed.has(e.code)) {
      // Auto-repeat: the session repeats on its own; resend only for keys
      // that were not seen going down.
      return;
    }
    const ev: Nav = { event: 'KeyPress', key: keysymName(e.key, e.code) };
    if (this.settings.physicalKeys && e.code) ev.code = e.code;
    const id = e.code || e.key;
    if (this.pressed.has(id)) this.release(id);
    this.pressed.set(id, ev);
    this.nav(ev);
  }

  private keyUp(e: KeyboardEvent): void {
    if (this.settings.viewOnly) return;
    if (this.pendingPaste && e.key.toLowerCase() === 'v') this.flushPaste();
    const id = e.code || e.key;
    if (this.pressed.has(id)) {
      e.preventDefault();
      this.release(id);
    }
  }

  private release(id: string): void {
    const ev = this.pressed.get(id);
    if (!ev) return;
    this.pressed.delete(id);
    this.nav({ ...ev, event: 'KeyRelease' });
  }

  private flushPaste(): void {
    const e = this.pendingPaste;
    if (!e) return;
    this.pendingPaste = null;
    for (const [type, key] of [['KeyPress', 'v'], ['KeyRelease', 'v']]) {
      const ev: Nav = { event: type, key: e.shiftKey ? key.toUpperCase() : key };
      this.nav(ev);
    }
  }

  private paste(e: ClipboardEvent): void {
    e.preventDefault();
    const text = e.clipboardData?.getData('text/plain') ?? '';
    if (text && text !== this.lastClipboard) this.setClipboard(text);
    this.flushPaste();
  }

  /** Text from dead keys, the on-screen keyboard or an IME. */
  private textInput(e: InputEvent): void {
    if (e.isComposing) return;
    const t = e.inputType;
    if (!this.settings.viewOnly) {
      if ((t === 'insertText' || t === 'insertReplacementText') && e.data) this.typeText(e.data);
      else if (t === 'insertLineBreak' || t === 'insertParagraph') this.tap('Return');
      else if (t === 'deleteContentBackward') this.tap('BackSpace');
      else if (t === 'deleteContentForward') this.tap('Delete');
    }
    this.composingDead = false;
    this.keys.value = '';
  }

  private compositionEnd(e: CompositionEvent): void {
    this.composingDead = false;
    if (e.data) this.typeText(e.data);
    this.keys.value = '';
  }

  private tap(key: string): void {
    this.nav({ event: 'KeyPress', key });
    this.nav({ event: 'KeyRelease', key });
  }

  // ---- pointer ------------------------------------------------------------

  private locked(): boolean {
    return document.pointerLockElement === this.surface;
  }

  /** Video pixels per CSS pixel of the displayed picture. */
  private scale(): number {
    const r = this.video.getBoundingClientRect();
    const vw = this.video.videoWidth, vh = this.video.videoHeight;
    if (!vw || !vh || !r.width || !r.height) return 1;
    return 1 / Math.min(r.width / vw, r.height / vh);
  }

  private pointer(e: PointerEvent, what: 'down' | 'move' | 'up' | 'cancel'): void {
    if (e.pointerType === 'touch') return this.touch(e, what);
    if (what === 'down') {
      this.focus();
      if (this.settings.pointerLock && !this.locked() && !this.settings.viewOnly)
        void Promise.resolve(this.surface.requestPointerLock()).catch(() => undefined);
    }
    if (this.settings.viewOnly) return;
    if (this.locked()) {
      if (what === 'move') {
        const s = this.scale();
        const dx = e.movementX * s, dy = e.movementY * s;
        if (!dx && !dy) return;
        this.pos.x = Math.min(Math.max(this.pos.x + dx, 0), Math.max(this.video.videoWidth - 1, 0));
        this.pos.y = Math.min(Math.max(this.pos.y + dy, 0), Math.max(this.video.videoHeight - 1, 0));
        this.custom('vdi-pointer-relative', { dx, dy });
        return;
      }
    } else {
      const p = toVideoCoords(this.video, e.clientX, e.clientY);
      if (!p) return;
      this.pos = p;
    }
    const { x, y } = this.pos;
    if (what === 'move') {
      // Coalesced events carry the intermediate positions of fast moves.
      this.nav({ event: 'MouseMove', x, y });
    } else if (what === 'down' || what === 'up') {
      e.preventDefault();
      if (what === 'down') this.surface.setPointerCapture?.(e.pointerId);
      this.nav({ event: what === 'down' ? 'MouseButtonPress' : 'MouseButtonRelease', button: e.button + 1, x, y });
    }
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    if (this.settings.viewOnly) return;
    const p = this.locked() ? this.pos : toVideoCoords(this.video, e.clientX, e.clientY);
    if (!p) return;
    // GstNavigation: positive delta_y scrolls up, so DOM deltas are negated.
    if (e.deltaMode === WheelEvent.DOM_DELTA_PIXEL && this.settings.smoothScroll) {
      // Smooth scrolling in pixels; one 100 px browser wheel step is one
      // 15-unit Wayland wheel step.
      this.nav({ event: 'MouseScroll', x: p.x, y: p.y, delta_x: (-e.deltaX * 15) / 100, delta_y: (-e.deltaY * 15) / 100, smooth: true });
      return;
    }
    const unit = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? 1 / 3 : e.deltaMode === WheelEvent.DOM_DELTA_PAGE ? 3 : 1 / 100;
    this.scrollAcc.x += e.deltaX * unit;
    this.scrollAcc.y += e.deltaY * unit;
    const cx = Math.trunc(this.scrollAcc.x), cy = Math.trunc(this.scrollAcc.y);
    if (!cx && !cy) return;
    this.scrollAcc.x -= cx;
    this.scrollAcc.y -= cy;
    this.nav({ event: 'MouseScroll', x: p.x, y: p.y, delta_x: -cx, delta_y: -cy });
  }

  // ---- touch --------------------------------------------------------------

  /** One finger is the pointer (tap = click, drag = drag); two fingers scroll.
   * The first finger's press is held back for TOUCH_HOLD_MS (or until it
   * moves or lifts), so that a second finger landing with it makes a scroll
   * without clicking where the first one touched. */
  private touch(e: PointerEvent, what: 'down' | 'move' | 'up' | 'cancel'): void {
    e.preventDefault();
    if (this.settings.viewOnly) return;
    const p = toVideoCoords(this.video, e.clientX, e.clientY);
    if (what === 'down') {
      if (!p) return;
      this.surface.setPointerCapture?.(e.pointerId);
      this.touches.set(e.pointerId, { ...p });
      if (this.touches.size === 1) {
        this.touchMode = 'pending';
        this.touchPending = { x: p.x, y: p.y, pressure: e.pressure || 1 };
        this.touchTimer = window.setTimeout(() => this.touchPress(), TOUCH_HOLD_MS);
      } else if (this.touches.size === 2) {
        // Two fingers: a scroll, not a drag.
        if (this.touchMode === 'pointer') this.nav({ event: 'TouchCancel' });
        this.dropTouchPending();
        this.touchMode = 'scroll';
      }
      return;
    }
    const t = this.touches.get(e.pointerId);
    if (!t) return;
    if (what === 'move' && p) {
      if (this.touchMode === 'pending') this.touchPress();
      if (this.touchMode === 'pointer') {
        this.nav({ event: 'TouchMotion', identifier: 0, x: p.x, y: p.y, pressure: e.pressure || 1 });
        this.nav({ event: 'TouchFrame' });
      } else if (this.touchMode === 'scroll' && this.touches.keys().next().value === e.pointerId) {
        // The oldest finger still down drives the scroll; the content
        // follows the fingers, as on phones.
        this.nav({ event: 'MouseScroll', x: p.x, y: p.y, delta_x: (p.x - t.x) / 2, delta_y: (p.y - t.y) / 2, smooth: true });
      }
      t.x = p.x;
      t.y = p.y;
      return;
    }
    if (what === 'up' || what === 'cancel') {
      this.touches.delete(e.pointerId);
      if (this.touchMode === 'pending') {
        if (what === 'up') this.touchPress(); // a tap: press, then release below
        else this.dropTouchPending();
      }
      if (this.touchMode === 'pointer') {
        if (what === 'up') {
          this.nav({ event: 'TouchUp', identifier: 0, x: p?.x ?? t.x, y: p?.y ?? t.y });
          this.nav({ event: 'TouchFrame' });
        } else {
          this.nav({ event: 'TouchCancel' });
        }
        this.touchMode = 'none';
      }
      if (!this.touches.size) this.touchMode = 'none';
    }
  }

  /** Sends the held-back press of the first finger. */
  private touchPress(): void {
    const d = this.touchPending;
    this.dropTouchPending();
    if (!d || this.touchMode !== 'pending') return;
    this.touchMode = 'pointer';
    this.nav({ event: 'TouchDown', identifier: 0, x: d.x, y: d.y, pressure: d.pressure });
    this.nav({ event: 'TouchFrame' });
  }

  private dropTouchPending(): void {
    if (this.touchTimer !== undefined) window.clearTimeout(this.touchTimer);
    this.touchTimer = undefined;
    this.touchPending = undefined;
  }
}
