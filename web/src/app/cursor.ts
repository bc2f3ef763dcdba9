// The session's pointer drawn locally (docs/input-protocol.md, "Cursor"):
// with GNOME sessions the pointer is not in the video; vdiwebrtcsink sends
// its shape, hotspot, position and visibility on the data channel and this
// sets them as the CSS cursor of the video, so it moves with no round trip.

/** What the page knows of the session's pointer (for the stats and tests). */
export interface CursorView {
  visible: boolean;
  x: number;
  y: number;
  hotspotX: number;
  hotspotY: number;
  width: number;
  height: number;
  /** Shape messages received. */
  shapes: number;
  /** The CSS cursor value in use ('' while the session sends none). */
  css: string;
}

/** Chromium ignores CSS cursor images larger than 128 px. */
const MAX_CSS_CURSOR = 128;

export class SessionCursor {
  readonly view: CursorView = { visible: false, x: 0, y: 0, hotspotX: 0, hotspotY: 0, width: 0, height: 0, shapes: 0, css: '' };
  private image?: ImageData;
  private url = '';
  private scale = 1;

  constructor(private readonly video: HTMLVideoElement) {}

  /** Takes a data-channel message; false if it is not a vdi-cursor one. */
  handle(m: Record<string, unknown>): boolean {
    if (m.type !== 'vdi-cursor') return false;
    const num = (k: string, fallback: number) => {
      const value = m[k];
      return typeof value === 'number' ? value : fallback;
    };
    const v = this.view;
    v.visible = m.visible === true;
    v.x = num('x', v.x);
    v.y = num('y', v.y);
    v.hotspotX = num('hotspotX', v.hotspotX);
    v.hotspotY = num('hotspotY', v.hotspotY);
    const w = num('width', 0), h = num('height', 0);
    if (typeof m.image === 'string') {
      // A new shape; none (width 0): the session has no image, the page's
      // own arrow stands in.
      const bytes = w > 0 && h > 0 ? Uint8ClampedArray.from(atob(m.image), (c) => c.charCodeAt(0)) : undefined;
      const ok = bytes !== undefined && bytes.length === w * h * 4;
      this.image = ok ? new ImageData(bytes, w, h) : undefined;
      v.width = ok ? w : 0;
      v.height = ok ? h : 0;
      v.shapes++;
      this.url = '';
    }
    this.apply();
    return true;
  }

  /** The video's display scale changed (CSS pixels per video pixel). */
  rescale(): void {
    const r = this.video.getBoundingClientRect();
    const s = this.video.videoWidth ? Math.min(r.width / this.video.videoWidth, r.height / this.video.videoHeight) : 1;
    if (!this.image || Math.abs(s - this.scale) < 0.01) return;
    this.scale = s;
    this.url = '';
    this.apply();
  }

  /** Back to the page's own cursor (the session ended or was left). */
  reset(): void {
    this.image = undefined;
    this.url = '';
    this.view.css = '';
    this.video.style.cursor = '';
  }

  private apply(): void {
    const v = this.view;
    if (!v.visible) {
      v.css = 'none';
    } else if (this.image) {
      if (!this.url) this.url = this.render();
      const k = this.fit();
      v.css = `url(${this.url}) ${Math.round(v.hotspotX * k)} ${Math.round(v.hotspotY * k)}, default`;
    } else {
      v.css = 'default';
    }
    this.video.style.cursor = v.css;
  }

  /** How much the image is scaled: the video's scale, within 128 px. */
  private fit(): number {
    if (!this.image) return 1;
    const largest = Math.max(this.image.width, this.image.height);
    return Math.min(this.scale, MAX_CSS_CURSOR / largest);
  }

  private render(): string {
    const img = this.image!;
    const src = document.createElement('canvas');
    src.width = img.width;
    src.height = img.height;
    src.getContext('2d')!.putImageData(img, 0, 0);
    const k = this.fit();
    const out = document.createElement('canvas');
    out.width = Math.max(1, Math.round(img.width * k));
    out.height = Math.max(1, Math.round(img.height * k));
    const g = out.getContext('2d')!;
    g.imageSmoothingQuality = 'high';
    g.drawImage(src, 0, 0, out.width, out.height);
    return out.toDataURL('image/png');
  }
}
