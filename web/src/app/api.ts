// vdid's HTTP API (docs/vdid.md), as the web client uses it: the login
// cookie authenticates every call; a share token (from a share link) is sent
// as a Bearer token instead.

export interface SessionInfo {
  id: string;
  /** The node that runs it, behind a front door. */
  node?: string;
  user: string;
  /** lost: behind a front door, its node stopped answering (docs/fleet.md). */
  state: 'starting' | 'running' | 'failed' | 'lost';
  reason?: string;
  width: number;
  height: number;
  fps: number;
  encoder?: string;
  viewers?: number;
  urls?: { signalling?: string; hls?: string; whep?: string };
  created?: string | number;
  /** What runs the session: sway, gnome-shell, mutter, or another program. */
  compositor?: string;
}

export interface WhoAmI {
  user: string;
  admin: boolean;
  session?: string;
  role?: 'view' | 'control';
}

export interface Share {
  token: string;
  role: 'view' | 'control';
  session: string;
  expires?: string | number;
}

/** GET /api/v1/ice-servers: the STUN/TURN servers, with a TURN credential
 * minted for this user (valid until `expires`, Unix seconds). */
export interface IceServers {
  iceServers: RTCIceServer[];
  expires?: number;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class Api {
  /** A share token: used instead of the cookie when set. */
  token = '';

  constructor(readonly base = '/api/v1') {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    // No Basic-auth challenge (and so no browser login dialog) on 401.
    headers['X-Requested-With'] = 'XMLHttpRequest';
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    const text = await res.text();
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(res.status, message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  login(user: string, password: string): Promise<unknown> {
    return this.call('POST', '/login', { user, password });
  }
  logout(): Promise<unknown> {
    return this.call('POST', '/logout');
  }
  whoami(): Promise<WhoAmI> {
    return this.call('GET', '/whoami');
  }
  sessions(): Promise<SessionInfo[]> {
    return this.call<SessionInfo[] | { sessions: SessionInfo[] }>('GET', '/sessions').then((r) =>
      Array.isArray(r) ? r : (r.sessions ?? []),
    );
  }
  session(id: string): Promise<SessionInfo> {
    return this.call('GET', `/sessions/${encodeURIComponent(id)}`);
  }
  create(spec: { width?: number; height?: number; fps?: number; apps?: string[][]; compositor?: string }): Promise<SessionInfo> {
    return this.call('POST', '/sessions', spec);
  }
  stop(id: string): Promise<unknown> {
    return this.call('DELETE', `/sessions/${encodeURIComponent(id)}`);
  }
  resize(id: string, width: number, height: number): Promise<SessionInfo> {
    return this.call('POST', `/sessions/${encodeURIComponent(id)}/resize`, { width, height });
  }
  iceServers(): Promise<IceServers> {
    return this.call('GET', '/ice-servers');
  }
  share(id: string, role: 'view' | 'control', expiresIn: number): Promise<Share> {
    return this.call('POST', `/sessions/${encodeURIComponent(id)}/shares`, { role, expiresIn });
  }

  /** The signalling WebSocket URL of a session (with the share token if any). */
  signallingUrl(id: string): string {
    const url = new URL(`${this.base}/sessions/${encodeURIComponent(id)}/signalling`, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.token) url.searchParams.set('token', this.token);
    return url.toString();
  }

  /** The HLS playlist URL of a session (with the share token if any). */
  hlsUrl(s: SessionInfo): string {
    const url = new URL(s.urls?.hls ?? `/hls/${encodeURIComponent(s.id)}/index.m3u8`, location.href);
    if (this.token) url.searchParams.set('token', this.token);
    return url.toString();
  }
}
