// The sound of the desktop view. Audio plays through the same <video>
// element as the picture (WebRTC: the stream's Opus track; HLS: the AAC in
// the segments). Browsers only start unmuted playback after a user gesture,
// so the video starts muted with a "click for sound" control; the first
// click or key press anywhere unmutes it. Volume and mute stay in
// localStorage.

const KEY = 'vdi-sound';

interface Saved {
  volume: number;
  muted: boolean;
}

function load(): Saved {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '') as Partial<Saved>;
    return { volume: typeof v.volume === 'number' ? v.volume : 1, muted: v.muted === true };
  } catch {
    return { volume: 1, muted: false };
  }
}

export class Sound {
  /** True once a gesture allowed unmuted playback. */
  unlocked = false;
  private saved = load();

  constructor(
    readonly video: HTMLVideoElement,
    readonly unmuteButton: HTMLButtonElement,
    readonly muteButton: HTMLButtonElement,
    readonly volume: HTMLInputElement,
  ) {
    video.muted = true;
    video.volume = this.saved.volume;
    volume.value = String(Math.round(this.saved.volume * 100));
    const gesture = () => this.unlock();
    // Capture phase: the desktop's own handlers must not hide the gesture.
    for (const ev of ['pointerdown', 'keydown', 'touchend'])
      document.addEventListener(ev, gesture, { capture: true });
    unmuteButton.addEventListener('click', () => this.unlock());
    muteButton.addEventListener('click', () => this.setMuted(!this.saved.muted));
    volume.addEventListener('input', () => {
      this.saved.volume = Number(volume.value) / 100;
      video.volume = this.saved.volume;
      if (this.saved.volume > 0 && this.saved.muted) this.setMuted(false);
      else this.save();
    });
    this.render();
  }

  /** The user's gesture: unmuted playback is allowed from now on. */
  unlock(): void {
    if (this.unlocked) return;
    this.unlocked = true;
    this.video.muted = this.saved.muted;
    void this.video.play().catch(() => undefined);
    this.render();
  }

  setMuted(muted: boolean): void {
    this.saved.muted = muted;
    if (this.unlocked) this.video.muted = muted;
    else this.unlock();
    this.save();
  }

  /** Whether the stream now playing has sound at all. */
  hasAudio(): boolean {
    const s = this.video.srcObject;
    if (s instanceof MediaStream) return s.getAudioTracks().length > 0;
    return this.video.src !== '' || this.video.currentSrc !== '';
  }

  render(): void {
    const audible = this.unlocked && !this.video.muted;
    this.unmuteButton.hidden = this.unlocked || !this.hasAudio();
    this.muteButton.textContent = audible ? '🔊' : '🔇';
    this.muteButton.setAttribute('aria-pressed', String(!audible));
    this.muteButton.setAttribute('aria-label', audible ? 'Mute the sound' : 'Unmute the sound');
    this.muteButton.title = this.muteButton.getAttribute('aria-label') ?? '';
  }

  private save(): void {
    localStorage.setItem(KEY, JSON.stringify(this.saved));
    this.render();
  }
}
