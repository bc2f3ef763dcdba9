// Receiver statistics of a peer connection: fps, bitrate, RTT, loss, decode time.

export interface ReceiverStats {
  fps: number;
  bitrateKbps: number;
  rttMs: number;
  lossPercent: number;
  decodeMs: number;
  framesDecoded: number;
  width: number;
  height: number;
  /** Average time a frame waited in the jitter buffer (ms). */
  jitterBufferMs: number;
  packetsLost: number;
  /** The browser's decoder, e.g. "libvpx", "FFmpeg", "ExternalDecoder". */
  decoder: string;
  codec: string;
  /** The audio track: codec ("opus", "" without audio), received bitrate,
   * average jitter-buffer delay of the last interval. */
  audioCodec: string;
  audioBitrateKbps: number;
  audioJitterBufferMs: number;
}

/** The members of RTCStatsReport entries read here (all optional). */
interface StatsEntry {
  type: string;
  kind?: string;
  bytesReceived?: number;
  packetsLost?: number;
  packetsReceived?: number;
  decoderImplementation?: string;
  codecId?: string;
  mimeType?: string;
  jitterBufferDelay?: number;
  jitterBufferEmittedCount?: number;
  framesDecoded?: number;
  totalDecodeTime?: number;
  frameWidth?: number;
  frameHeight?: number;
  nominated?: boolean;
  currentRoundTripTime?: number;
}

export class StatsSampler {
  private last?: {
    t: number; bytes: number; frames: number; jbDelay: number; jbCount: number;
    aBytes: number; aDelay: number; aCount: number;
  };
  constructor(readonly pc: RTCPeerConnection) {}

  async sample(): Promise<ReceiverStats> {
    const out: ReceiverStats = {
      fps: 0, bitrateKbps: 0, rttMs: 0, lossPercent: 0, decodeMs: 0, framesDecoded: 0, width: 0, height: 0,
      jitterBufferMs: 0, packetsLost: 0, decoder: '', codec: '',
      audioCodec: '', audioBitrateKbps: 0, audioJitterBufferMs: 0,
    };
    const report = await this.pc.getStats();
    let bytes = 0, jbDelay = 0, jbCount = 0, aBytes = 0, aDelay = 0, aCount = 0;
    report.forEach((s: StatsEntry) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        aBytes = s.bytesReceived ?? 0;
        aDelay = s.jitterBufferDelay ?? 0;
        aCount = s.jitterBufferEmittedCount ?? 0;
        out.audioCodec = ((report.get(s.codecId ?? '') as StatsEntry | undefined)?.mimeType ?? 'audio').replace(/^audio\//, '').toLowerCase();
      }
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        bytes = s.bytesReceived ?? 0;
        out.packetsLost = s.packetsLost ?? 0;
        out.decoder = s.decoderImplementation ?? '';
        out.codec = ((report.get(s.codecId ?? '') as StatsEntry | undefined)?.mimeType ?? '').replace(/^video\//, '');
        jbDelay = s.jitterBufferDelay ?? 0;
        jbCount = s.jitterBufferEmittedCount ?? 0;
        out.framesDecoded = s.framesDecoded ?? 0;
        const lost = s.packetsLost ?? 0, recv = s.packetsReceived ?? 0;
        out.lossPercent = recv + lost > 0 ? (100 * lost) / (recv + lost) : 0;
        out.decodeMs = out.framesDecoded ? (1000 * (s.totalDecodeTime ?? 0)) / out.framesDecoded : 0;
        out.width = s.frameWidth ?? 0;
        out.height = s.frameHeight ?? 0;
      } else if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
        out.rttMs = 1000 * s.currentRoundTripTime;
      }
    });
    const now = performance.now();
    if (this.last) {
      const dt = (now - this.last.t) / 1000;
      out.bitrateKbps = (8 * (bytes - this.last.bytes)) / 1000 / dt;
      out.fps = (out.framesDecoded - this.last.frames) / dt;
      out.audioBitrateKbps = (8 * (aBytes - this.last.aBytes)) / 1000 / dt;
    }
    const adc = aCount - (this.last?.aCount ?? 0);
    if (adc > 0) out.audioJitterBufferMs = (1000 * (aDelay - (this.last?.aDelay ?? 0))) / adc;
    // The jitter buffer delay of the frames of the last interval (all so far at first).
    const dc = jbCount - (this.last?.jbCount ?? 0);
    if (dc > 0) out.jitterBufferMs = (1000 * (jbDelay - (this.last?.jbDelay ?? 0))) / dc;
    this.last = { t: now, bytes, frames: out.framesDecoded, jbDelay, jbCount, aBytes, aDelay, aCount };
    return out;
  }
}

export function formatStats(s: ReceiverStats): string {
  return [
    `${s.width}x${s.height}  ${s.fps.toFixed(1)} fps`,
    `${(s.bitrateKbps / 1000).toFixed(2)} Mbit/s`,
    `RTT ${s.rttMs.toFixed(1)} ms  loss ${s.lossPercent.toFixed(2)} %`,
    `decode ${s.decodeMs.toFixed(2)} ms/frame`,
  ].join('\n');
}
