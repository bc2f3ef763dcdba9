// Keyboard, mouse, wheel and clipboard from a <video> element to the
// producer's input data channel, in the webrtcsink control-channel shape:
//   {"id":N,"request":{"type":"navigationEvent","event":{"event":"MouseMove","x":..,"y":..}}}
// Coordinates are video pixels (letterboxing accounted for).

export interface ControlResponse {
  type: 'ControlResponseMessage';
  id: number | null;
  error: string | null;
}

const NAMED_KEYS: Record<string, string> = {
  Enter: 'Return', Backspace: 'BackSpace', Tab: 'Tab', Escape: 'Escape', ' ': 'space',
  ArrowLeft: 'Left', ArrowRight: 'Right', ArrowUp: 'Up', ArrowDown: 'Down',
  Delete: 'Delete', Insert: 'Insert', Home: 'Home', End: 'End',
  PageUp: 'Page_Up', PageDown: 'Page_Down', CapsLock: 'Caps_Lock', NumLock: 'Num_Lock',
  ScrollLock: 'Scroll_Lock', Pause: 'Pause', PrintScreen: 'Print', ContextMenu: 'Menu',
  AltGraph: 'ISO_Level3_Shift',
  '!': 'exclam', '"': 'quotedbl', '#': 'numbersign', $: 'dollar', '%': 'percent',
  '&': 'ampersand', "'": 'apostrophe', '(': 'parenleft', ')': 'parenright', '*': 'asterisk',
  '+': 'plus', ',': 'comma', '-': 'minus', '.': 'period', '/': 'slash', ':': 'colon',
  ';': 'semicolon', '<': 'less', '=': 'equal', '>': 'greater', '?': 'question', '@': 'at',
  '[': 'bracketleft', '\\': 'backslash', ']': 'bracketright', '^': 'asciicircum',
  _: 'underscore', '`': 'grave', '{': 'braceleft', '|': 'bar', '}': 'braceright',
  '~': 'asciitilde',
};

/** The X keysym name for a KeyboardEvent (key, with code for sides). */
export function keysymName(key: string, code: string): string {
  const side = code.endsWith('Right') ? '_R' : '_L';
  switch (key) {
    case 'Shift': return 'Shift' + side;
    case 'Control': return 'Control' + side;
    case 'Alt': return 'Alt' + side;
    case 'Meta': case 'OS': return 'Super' + side;
  }
  if (NAMED_KEYS[key]) return NAMED_KEYS[key];
  if (/^F\d{1,2}$/.test(key)) return key;
  if ([...key].length === 1) {
    const cp = key.codePointAt(0)!;
    if (cp < 0x80) return key; // letters and digits are their own keysym names
    return 'U' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return key; // e.g. "Unidentified": the injector reports it
}

/** Maps a point in the element to video pixels (object-fit: contain). */
export function toVideoCoords(video: HTMLVideoElement, clientX: number, clientY: number): { x: number; y: number } | null {
  const vw = video.videoWidth, vh = video.videoHeight;
  if (!vw || !vh) return null;
  const r = video.getBoundingClientRect();
  const scale = Math.min(r.width / vw, r.height / vh);
  const ox = (r.width - vw * scale) / 2, oy = (r.height - vh * scale) / 2;
  const x = (clientX - r.left - ox) / scale, y = (clientY - r.top - oy) / scale;
  if (x < 0 || y < 0 || x >= vw || y >= vh) return null;
  return { x: Math.floor(x), y: Math.floor(y) };
}

/** Messages a channel received before its InputChannel existed (the
 * producer sends the clipboard and the cursor as soon as it opens). */
const early = new WeakMap<RTCDataChannel, MessageEvent[]>();

/** Keeps what @channel receives until an InputChannel takes it over. */
export function holdMessages(channel: RTCDataChannel): void {
  const held: MessageEvent[] = [];
  early.set(channel, held);
  channel.addEventListener('message', (ev) => early.get(channel)?.push(ev));
}

export class InputChannel {
  private nextId = 1;
  private pending = new Map<number, (r: ControlResponse) => void>();
  onResponse?: (r: ControlResponse) => void;
  /** Messages from the session that are not replies, e.g.
   * `{"type":"vdi-clipboard","mime":..,"data":<base64>}`. */
  onMessage?: (m: Record<string, unknown>) => void;

  constructor(readonly channel: RTCDataChannel) {
    const held = early.get(channel) ?? [];
    early.delete(channel);
    channel.addEventListener('message', (ev) => this.received(ev));
    // After the caller set its handlers (this runs from a new task).
    if (held.length) setTimeout(() => held.forEach((ev) => this.received(ev)), 0);
  }

  private received(ev: MessageEvent): void {
    let r: ControlResponse;
    try {
      r = JSON.parse(String(ev.data)) as ControlResponse;
    } catch {
      return;
    }
    if (!r || typeof r !== 'object') return;
    if (r.type !== 'ControlResponseMessage') {
      this.onMessage?.(r as unknown as Record<string, unknown>);
      return;
    }
    this.onResponse?.(r);
    if (typeof r.id === 'number') {
      this.pending.get(r.id)?.(r);
      this.pending.delete(r.id);
    }
  }

  /** Sends a request; resolves with the producer's ControlResponseMessage. */
  request(request: Record<string, unknown>): Promise<ControlResponse> {
    const id = this.nextId++;
    const p = new Promise<ControlResponse>((resolve) => this.pending.set(id, resolve));
    if (this.channel.readyState === 'open') this.channel.send(JSON.stringify({ id, request }));
    return p;
  }

  navigation(event: Record<string, unknown>): Promise<ControlResponse> {
    return this.request({ type: 'navigationEvent', event });
  }

  custom(structureName: string, structure: Record<string, unknown>): Promise<ControlResponse> {
    return this.request({ type: 'customUpstreamEvent', structureName, structure });
  }
}

/** The text of base64 UTF-8 bytes (a `vdi-clipboard` message from the session). */
export function utf8FromBase64(data: string): string {
  const bin = atob(data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

/** Base64 of the UTF-8 bytes of @text (docs/input-protocol.md, vdi-clipboard-set). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Forwards the element's keyboard, mouse, wheel and paste events. Returns a detach function. */
export function attachInput(video: HTMLVideoElement, input: InputChannel): () => void {
  const mods = (e: KeyboardEvent | MouseEvent) =>
    (e.shiftKey ? 1 : 0) | (e.ctrlKey ? 4 : 0) | (e.altKey ? 8 : 0) | (e.metaKey ? 1 << 26 : 0);
  const send = (type: string, e: KeyboardEvent) =>
    void input.navigation({ event: type, key: keysymName(e.key, e.code), code: e.code, modifier_state: mods(e) });
  // Ctrl+V / Cmd+V: let the browser fire "paste" first, so the session's
  // clipboard holds the text before the application sees the keystroke.
  let pendingPaste: KeyboardEvent | null = null;
  const isPaste = (e: KeyboardEvent) => (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'v';
  const key = (type: string) => (e: KeyboardEvent) => {
    if (e.isComposing) return;
    if (type === 'KeyPress' && isPaste(e)) {
      pendingPaste = e;
      return; // no preventDefault: the paste event follows
    }
    if (type === 'KeyRelease' && pendingPaste && e.key.toLowerCase() === 'v') {
      // No paste event came (no clipboard access): send the keystroke anyway.
      send('KeyPress', pendingPaste);
      pendingPaste = null;
    }
    e.preventDefault();
    send(type, e);
  };
  const mouse = (type: string) => (e: MouseEvent) => {
    const p = toVideoCoords(video, e.clientX, e.clientY);
    if (!p) return;
    if (type !== 'MouseMove') e.preventDefault();
    if (type === 'MouseButtonPress') video.focus();
    void input.navigation({ event: type, x: p.x, y: p.y, button: e.button + 1, modifier_state: mods(e) });
  };
  const wheel = (e: WheelEvent) => {
    const p = toVideoCoords(video, e.clientX, e.clientY);
    if (!p) return;
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 1 : e.deltaMode === 2 ? 10 : 1 / 100;
    void input.navigation({ event: 'MouseScroll', x: p.x, y: p.y, delta_x: -e.deltaX * unit, delta_y: -e.deltaY * unit, modifier_state: mods(e) });
  };
  const paste = (e: ClipboardEvent) => {
    const text = e.clipboardData?.getData('text/plain');
    e.preventDefault();
    if (text) void input.custom('vdi-clipboard-set', { mime: 'text/plain;charset=utf-8', data: base64Utf8(text) });
    if (pendingPaste) {
      send('KeyPress', pendingPaste);
      pendingPaste = null;
    }
  };
  const handlers: Array<[EventTarget, string, EventListener]> = [
    [video, 'keydown', key('KeyPress') as EventListener],
    [video, 'keyup', key('KeyRelease') as EventListener],
    [video, 'mousemove', mouse('MouseMove') as EventListener],
    [video, 'mousedown', mouse('MouseButtonPress') as EventListener],
    [video, 'mouseup', mouse('MouseButtonRelease') as EventListener],
    [video, 'wheel', wheel as EventListener],
    [video, 'contextmenu', (e: Event) => e.preventDefault()],
    [window, 'paste', paste as EventListener],
  ];
  for (const [t, n, h] of handlers) t.addEventListener(n, h, { passive: false });
  return () => {
    for (const [t, n, h] of handlers) t.removeEventListener(n, h);
  };
}
