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

/** off: not sending; starting: asking the browser; on: the session hears
 * it; refused: the session does not take this viewer's microphone (view
 * only, or the session has no sound); denied: the browser (or the user)
 * refused the permission; unavailable: no microphone to open. */
export type MicState = 'off' | 'starting' | 'on' | 'refused' | 'denied' | 'unavailable';

const MIC_TEXT: Record<MicState, [string, string]> = {
  off: ['🎤 Off', 'Microphone off: click to send your microphone to the desktop'],
  starting: ['🎤 …', 'Asking the browser for the microphone…'],
  on: ['🎤 On', 'Microphone on: the desktop hears you. Click to turn it off'],
  refused: ['🎤 Refused', 'This desktop does not take your microphone (view-only, or no sound)'],
  denied: ['🎤 Blocked', 'The browser blocked the microphone: allow it in the address bar, then click again'],
  unavailable: ['🎤 None', 'No microphone could be opened'],
};

/** The microphone button. Off until clicked; a click asks the browser
 * (getUserMedia) and puts the track into the connection's audio sender,
 * which the answer made send-receive when the session allows it
 * (signalling.ts `microphone`): no renegotiation. Off again: the track is
 * stopped and the sender sends nothing. */
export class Microphone {
  state: MicState = 'off';
  detail = '';
  private pc?: RTCPeerConnection;
  private track?: MediaStreamTrack;

  constructor(readonly button: HTMLButtonElement) {
    button.addEventListener('click', () => void this.toggle());
    this.render();
  }

  /** The connection now playing (undefined: none, or HLS). */
  attach(pc?: RTCPeerConnection): void {
    this.pc = pc;
    if (!pc) return this.render();
    if (!this.sender()) {
      if (this.track) this.stopTrack();
      return this.set('refused');
    }
    if (this.track) void this.sender()?.replaceTrack(this.track);
    else if (this.state === 'refused') this.set('off');
    else this.render();
  }

  async toggle(): Promise<void> {
    if (this.state === 'on' || this.state === 'starting') return this.off();
    const sender = this.sender();
    if (!sender) return this.set('refused');
    this.set('starting');
    let stream: MediaStream;
    try {
      // No noise suppression or gain control: they flatten music and tones;
      // echo cancellation stays (the desktop's sound plays next to the mic).
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false },
      });
    } catch (e) {
      const name = e instanceof Error ? e.name : '';
      this.detail = e instanceof Error ? e.message : String(e);
      return this.set(name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'unavailable');
    }
    if ((this.state as MicState) !== 'starting') return stream.getTracks().forEach((t) => t.stop());
    this.track = stream.getAudioTracks()[0];
    this.track.addEventListener('ended', () => this.off());
    try {
      await (this.sender() ?? sender).replaceTrack(this.track);
    } catch (e) {
      this.stopTrack();
      this.detail = e instanceof Error ? e.message : String(e);
      return this.set('refused');
    }
    this.set('on');
  }

  off(): void {
    this.stopTrack();
    void this.sender()?.replaceTrack(null).catch(() => undefined);
    this.set(this.pc && !this.sender() ? 'refused' : 'off');
  }

  private stopTrack(): void {
    this.track?.stop();
    this.track = undefined;
  }

  /** The audio sender the answer made send-receive, or null. */
  private sender(): RTCRtpSender | null {
    const t = this.pc
      ?.getTransceivers()
      .find((x) => x.receiver.track.kind === 'audio' && (x.currentDirection === 'sendrecv' || x.currentDirection === 'sendonly'));
    return t?.sender ?? null;
  }

  private set(state: MicState): void {
    this.state = state;
    if (state === 'off' || state === 'on') this.detail = '';
    this.render();
  }

  render(): void {
    const [text, title] = MIC_TEXT[this.state];
    this.button.textContent = text;
    this.button.title = this.detail ? `${title} (${this.detail})` : title;
    this.button.setAttribute('aria-label', title);
    this.button.setAttribute('aria-pressed', String(this.state === 'on'));
    this.button.dataset.state = this.state;
  }
}
