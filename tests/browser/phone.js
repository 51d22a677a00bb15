// A minimal calldocker.v1 softphone for the browser tests (docs/ws.md):
// one socket, messages handled strictly in arrival order, one
// RTCPeerConnection per call, and a second one while a supervisor listens
// in (docs/ws.md, "Supervising a browser call"); and the agent's recorder
// of a call (Recorder, docs/api.md "Browser recordings"). The page's test driver
// reads window.phone.
"use strict";

// What the watched frequencies read on a page (Meter): within this many
// bins of the tone's (4096-point FFT: 11.7 Hz a bin at 48 kHz).
const METER_BINS = 2;

// The page's audio, through WebAudio, so that the agent's page can mix:
//
//   mic ──┬──────────────────────────────> out      (to the call's peer)
//         └──────────────────────────────> toSuper  (to the supervisor)
//   the call's peer ──┬──────────────────> ears     (played, measured)
//                     └──────────────────> toSuper
//   the supervisor ───┬── whisper gain ──> ears     (whisper, barge: 1)
//                     └── barge gain ────> out      (barge: 1)
//
// The track sent to the caller is out's from the start, so a mode change
// is two gains: no renegotiation. The microphone is getUserMedia's, or
// an oscillator of CONFIG.tone Hz (the tests tell the parties apart by
// their tones). A supervisor's page uses mic -> out (its offer) and
// the agent's mix -> ears.
class Mix {
  constructor(tone, watch) {
    this.ctx = new AudioContext();
    this.tone = tone;
    this.mic = this.gain(1);
    this.out = this.ctx.createMediaStreamDestination();
    this.micOut = this.ctx.createMediaStreamDestination(); // the mic alone
    this.toSuper = this.ctx.createMediaStreamDestination();
    this.ears = this.gain(1);
    this.whisper = this.gain(0);
    this.barge = this.gain(0);
    this.mic.connect(this.out);
    this.mic.connect(this.micOut);
    this.mic.connect(this.toSuper);
    this.whisper.connect(this.ears);
    this.barge.connect(this.out);
    this.ears.connect(this.ctx.destination);
    this.meter = new Meter(this.ctx, this.ears, watch || []);
    this.held = [];             // media elements holding remote streams
    this.started = null;
  }

  gain(v) {
    const g = this.ctx.createGain();
    g.gain.value = v;
    return g;
  }

  // The microphone, once: an oscillator or the device.
  start() {
    if (this.started) return this.started;
    this.started = (async () => {
      await this.ctx.resume();
      if (this.tone) {
        const o = this.ctx.createOscillator();
        o.frequency.value = this.tone;
        const g = this.gain(0.3);
        o.connect(g).connect(this.mic);
        o.start();
      } else {
        const s = await navigator.mediaDevices.getUserMedia({audio: true});
        this.ctx.createMediaStreamSource(s).connect(this.mic);
      }
    })();
    return this.started;
  }

  // A remote audio track into the graph: from "call" (the call's other
  // party), "supervisor" (at the agent's page) or "agent" (at the
  // supervisor's page). Chromium feeds a remote WebRTC stream to WebAudio
  // only while a media element plays it, so a muted one does.
  remote(track, from) {
    const stream = new MediaStream([track]);
    const el = new Audio();
    el.muted = true;
    el.srcObject = stream;
    el.play().catch(() => {});
    this.held.push(el);
    const src = this.ctx.createMediaStreamSource(stream);
    if (from === "supervisor") {
      src.connect(this.whisper);
      src.connect(this.barge);
    } else {
      src.connect(this.ears);
      if (from === "call") src.connect(this.toSuper);
    }
  }

  // The supervision's mode (the agent's page): who hears the supervisor.
  mode(m) {
    this.whisper.gain.value = m === "whisper" || m === "barge" ? 1 : 0;
    this.barge.gain.value = m === "barge" ? 1 : 0;
  }
}

// Levels (dBFS) of what a page hears at the watched frequencies, sampled
// every 50 ms: the latest, and the highest since reset() with how many
// samples that covers.
class Meter {
  constructor(ctx, node, watch) {
    this.ctx = ctx;
    this.watch = watch;
    this.an = ctx.createAnalyser();
    this.an.fftSize = 4096;
    this.an.smoothingTimeConstant = 0;
    this.buf = new Float32Array(this.an.frequencyBinCount);
    node.connect(this.an);
    this.reset();
    this.now = {};
    setInterval(() => this.sample(), 50);
  }

  reset() {
    this.peak = {};
    this.samples = 0;
  }

  level(f) {
    const bin = Math.round(f * this.an.fftSize / this.ctx.sampleRate);
    let v = -Infinity;
    for (let b = bin - METER_BINS; b <= bin + METER_BINS; b++)
      if (b >= 0 && b < this.buf.length) v = Math.max(v, this.buf[b]);
    return Number.isFinite(v) ? Math.round(v * 10) / 10 : -200;
  }

  sample() {
    this.an.getFloatFrequencyData(this.buf);
    for (const f of this.watch) {
      const v = this.level(f);
      this.now[f] = v;
      this.peak[f] = Math.max(this.peak[f] === undefined ? -200 : this.peak[f], v);
    }
    this.samples++;
  }

  read() {
    return {now: this.now, peak: this.peak, samples: this.samples,
      ctx: this.ctx.state};
  }
}

class Phone {
  constructor(wsUrl, auth) {
    this.log = [];
    this.state = "connecting";
    this.callId = null;
    this.userId = null;
    this.pc = null;
    this.pending = [];          // ICE candidates before the remote SDP
    this.localStream = null;    // our microphone (the recorder's)
    this.remoteStream = null;   // the other party's audio
    this.onmedia = null;        // both streams are there (a function)
    this.spc = null;            // the supervision's peer connection
    this.superCall = null;      // the call it is about
    this.superMode = "off";
    this.superPending = [];
    this.mix = new Mix(CONFIG.tone, CONFIG.watch);
    this.seq = 0;
    this.chain = Promise.resolve();
    this.handlers = {};
    this.ws = new WebSocket(wsUrl, "calldocker.v1");
    this.ws.onopen = () => this.send(auth);
    this.ws.onclose = (e) => { this.state = "closed:" + e.code; };
    this.ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      this.log.push((m.type === "event" ? m.event : m.type) +
        (m.code ? ":" + m.code : ""));
      // Strictly in order: an ICE candidate must wait for the offer
      // before it that is still being applied.
      this.chain = this.chain.then(() => this.handle(m))
        .catch((err) => this.log.push("error:" + err));
    };
  }

  send(m) {
    m.id = m.id || String(++this.seq);
    this.ws.send(JSON.stringify(m));
  }

  on(type, fn) { this.handlers[type] = fn; }

  async handle(m) {
    if (m.type === "authenticated") {
      this.state = "ready";
      this.userId = m.user_id || null;
    }
    if (m.type === "sdp.offer") return this.answer(m);
    if (m.type === "sdp.answer")
      return this.pc.setRemoteDescription({type: "answer", sdp: m.sdp})
        .then(() => this.flush());
    if (m.type === "ice.candidate") {
      if (!m.candidate) return;
      if (this.pc && this.pc.remoteDescription) return this.pc.addIceCandidate(m.candidate);
      this.pending.push(m.candidate);
      return;
    }
    if (m.type === "event" && m.event === "call.supervised")
      return this.supervised(m.data);
    if (m.type === "supervise.offer") return this.superAnswer(m);
    if (m.type === "supervise.answer") {
      if (!this.spc || m.call_id !== this.superCall) return;
      await this.spc.setRemoteDescription({type: "answer", sdp: m.sdp});
      return this.superFlush();
    }
    if (m.type === "supervise.ice") {
      if (!m.candidate || m.call_id !== this.superCall) return;
      if (this.spc && this.spc.remoteDescription)
        return this.spc.addIceCandidate(m.candidate);
      this.superPending.push(m.candidate);
      return;
    }
    const fn = this.handlers[m.type];
    if (fn) return fn(m);
  }

  async flush() {
    for (const c of this.pending.splice(0)) await this.pc.addIceCandidate(c);
  }

  peer() {
    if (this.pc) return this.pc;
    const pc = new RTCPeerConnection({iceServers: []});
    pc.onicecandidate = (e) => this.send({type: "ice.candidate",
      call_id: this.callId, candidate: e.candidate ? e.candidate.toJSON() : null});
    pc.ontrack = (e) => {
      if (e.track.kind !== "audio") return;
      this.mix.remote(e.track, "call");
      if (!this.remoteStream) {
        this.remoteStream = new MediaStream([e.track]);
        this.media();
      }
    };
    this.pc = pc;
    return pc;
  }

  // Audio is the mix's out track (the microphone, and the supervisor when
  // barging); video the camera.
  async addMedia(constraints) {
    if (constraints.audio) {
      await this.mix.start();
      const s = this.mix.out.stream;
      s.getAudioTracks().forEach((t) => this.peer().addTrack(t, s));
      if (!this.localStream) {
        this.localStream = this.mix.micOut.stream;
        this.media();
      }
    }
    if (constraints.video) {
      const s = await navigator.mediaDevices.getUserMedia({video: true});
      s.getTracks().forEach((t) => this.peer().addTrack(t, s));
    }
  }

  media() {
    if (this.localStream && this.remoteStream && this.onmedia) this.onmedia();
  }

  // The offerer's side: media is the docs' list ("voice", "video").
  async offer(media) {
    const pc = this.peer();
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    this.send({type: "sdp.offer", call_id: this.callId, sdp: o.sdp, media});
  }

  async answer(m) {
    this.callId = m.call_id;
    const pc = this.peer();
    await pc.setRemoteDescription({type: "offer", sdp: m.sdp});
    // Our microphone goes out on the audio line the offer brought.
    if (!pc.getSenders().some((s) => s.track)) await this.addMedia({audio: true});
    await this.flush();
    const a = await pc.createAnswer();
    await pc.setLocalDescription(a);
    this.send({type: "sdp.answer", call_id: this.callId, sdp: a.sdp, media: m.media});
  }

  // ---- supervision (docs/ws.md, "Supervising a browser call") ----

  // call.supervised: the supervisor's page offers (or, off, hangs up);
  // the agent's page sets who hears the supervisor, and hangs up on off.
  async supervised(call) {
    const s = call && call.supervision;
    if (!s) return;
    const mine = s.supervisor_id === this.userId && s.via === "browser";
    if (!mine && call.id !== this.callId) return;
    this.superMode = s.mode;
    if (!mine) this.mix.mode(s.mode);
    if (s.mode === "off") return this.superClose(call.id);
    if (mine && !this.spc) return this.superOffer(call.id);
  }

  superPeer(callId) {
    const pc = new RTCPeerConnection({iceServers: []});
    const from = this.superIsMine ? "agent" : "supervisor";
    pc.onicecandidate = (e) => this.send({type: "supervise.ice",
      call_id: callId, candidate: e.candidate ? e.candidate.toJSON() : null});
    pc.ontrack = (e) => {
      if (e.track.kind === "audio") this.mix.remote(e.track, from);
    };
    this.spc = pc;
    this.superCall = callId;
    this.superPending = [];
    return pc;
  }

  // The supervisor's page: its microphone out, the agent's mix in.
  async superOffer(callId) {
    this.superIsMine = true;
    await this.mix.start();
    const pc = this.superPeer(callId);
    const s = this.mix.out.stream;
    s.getAudioTracks().forEach((t) => pc.addTrack(t, s));
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    this.send({type: "supervise.offer", call_id: callId, sdp: o.sdp});
  }

  // The agent's page: the caller and herself out, the supervisor in (to
  // whom the mode says). An offer that comes before the event plays to
  // nobody (monitor) until the event says otherwise.
  async superAnswer(m) {
    if (m.call_id !== this.callId) return;
    if (this.spc) this.superClose(m.call_id);
    this.superIsMine = false;
    if (this.superMode === "off") this.mix.mode("monitor");
    await this.mix.start();
    const pc = this.superPeer(m.call_id);
    await pc.setRemoteDescription({type: "offer", sdp: m.sdp});
    const s = this.mix.toSuper.stream;
    s.getAudioTracks().forEach((t) => pc.addTrack(t, s));
    await this.superFlush();
    const a = await pc.createAnswer();
    await pc.setLocalDescription(a);
    this.send({type: "supervise.answer", call_id: m.call_id, sdp: a.sdp});
  }

  async superFlush() {
    for (const c of this.superPending.splice(0)) await this.spc.addIceCandidate(c);
  }

  superClose(callId) {
    if (!this.spc || (callId && callId !== this.superCall)) return;
    this.spc.close();
    this.spc = null;
    this.superCall = null;
    this.superPending = [];
  }

  // What the driver checks: connection states, audio bytes and video
  // frames received, and the levels heard at the watched frequencies.
  async stats() {
    const r = {pc: this.pc ? this.pc.connectionState : "none",
      audio_bytes: 0, video_frames: 0, state: this.state, log: this.log,
      super_pc: this.spc ? this.spc.connectionState : "none",
      super_audio_bytes: 0, super_mode: this.superMode,
      heard: this.mix.meter.read()};
    if (this.pc) (await this.pc.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "audio") r.audio_bytes += s.bytesReceived || 0;
      if (s.kind === "video") r.video_frames += s.framesDecoded || 0;
    });
    if (this.spc) (await this.spc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio")
        r.super_audio_bytes += s.bytesReceived || 0;
    });
    return r;
  }
}

// The agent's recording of a call (docs/api.md, "Browser recordings"):
// both directions as two channels, channel 0 our microphone and channel 1
// the other party, merged in WebAudio and recorded by MediaRecorder as
// WebM/Opus; a piece every `slice` ms is appended to the upload at its
// offset, in order, one request at a time. A piece whose request fails
// (network) or meets 409 is resent from the offset the daemon has (HEAD);
// stop() ends the recording and the last request completes the upload
// with the duration measured here and the channel count.
class Recorder {
  constructor(api, token, callId, slice) {
    this.api = api;
    this.token = token;
    this.callId = callId;
    this.slice = slice || 2000;
    this.state = "idle";        // idle, off, recording, stopping, done, failed
    this.url = null;
    this.base = 0;              // the daemon's offset: bytes acknowledged
    this.unsent = [];           // Blobs from base on, not yet acknowledged
    this.busy = false;
    this.stopped = false;
    this.t0 = 0;
    this.duration = 0;
    this.recording = null;      // the finished recording (API object)
    this.error = null;
    this.resumes = 0;
    this.done = new Promise((resolve) => { this.finish = resolve; });
  }

  headers(extra) {
    return Object.assign({Authorization: "Bearer " + this.token}, extra || {});
  }

  // Begins the upload; 409 recording_off (or no_agent): nothing recorded.
  async start(local, remote) {
    const r = await fetch(this.api + "/api/calls/" + this.callId + "/recording",
      {method: "POST", headers: this.headers({"Content-Type": "audio/webm"})});
    if (r.status === 409) {
      this.state = "off";
      this.finish(this);
      return;
    }
    if (r.status !== 201) throw new Error("recording upload: HTTP " + r.status);
    this.url = this.api + r.headers.get("Location");
    const ctx = new AudioContext();
    await ctx.resume();
    const merger = ctx.createChannelMerger(2);
    ctx.createMediaStreamSource(local).connect(merger, 0, 0);
    ctx.createMediaStreamSource(remote).connect(merger, 0, 1);
    const dest = ctx.createMediaStreamDestination();
    dest.channelCount = 2;
    dest.channelCountMode = "explicit";
    dest.channelInterpretation = "discrete";
    merger.connect(dest);
    this.ctx = ctx;
    this.rec = new MediaRecorder(dest.stream, {mimeType: "audio/webm;codecs=opus"});
    this.rec.ondataavailable = (e) => {
      if (e.data.size > 0) this.unsent.push(e.data);
      this.pump();
    };
    this.rec.onstop = () => {
      this.stopped = true;
      this.pump();
    };
    this.rec.start(this.slice);
    this.t0 = performance.now();
    this.state = "recording";
  }

  elapsed() {
    return this.t0 ? (performance.now() - this.t0) / 1000 : 0;
  }

  stop() {
    if (this.state !== "recording") return this.done;
    this.duration = this.elapsed();
    this.state = "stopping";
    this.rec.stop();
    return this.done;
  }

  // Where the daemon is, after a failed or refused piece.
  async resync() {
    const r = await fetch(this.url, {method: "HEAD", headers: this.headers()});
    const at = Number(r.headers.get("Upload-Offset"));
    if (!r.ok || !(at >= this.base)) throw new Error("resume: HTTP " + r.status);
    // Drop what the daemon has: the unsent bytes start at its offset.
    const all = new Blob(this.unsent);
    this.unsent = [all.slice(at - this.base)];
    this.base = at;
    this.resumes++;
  }

  async pump() {
    if (this.busy || this.state === "done" || this.state === "failed") return;
    this.busy = true;
    try {
      for (;;) {
        const last = this.stopped;
        if (!last && this.unsent.length === 0) break;
        const body = new Blob(this.unsent);
        const n = this.unsent.length;
        const h = {"Content-Type": "application/offset+octet-stream",
          "Upload-Offset": String(this.base)};
        if (last) Object.assign(h, {"Upload-Complete": "?1",
          "Recording-Duration": this.duration.toFixed(2), "Recording-Channels": "2"});
        let r;
        try {
          r = await fetch(this.url, {method: "PATCH", headers: this.headers(h), body});
        } catch (err) {
          await this.resync();
          continue;
        }
        if (r.status === 409) {
          await this.resync();
          continue;
        }
        if (last && r.status === 201) {
          this.recording = await r.json();
          this.base += body.size;
          this.unsent = [];
          this.state = "done";
          this.finish(this);
          break;
        }
        if (r.status !== 204) throw new Error("piece: HTTP " + r.status + " " + await r.text());
        this.base += body.size;
        this.unsent.splice(0, n);
      }
    } catch (err) {
      this.state = "failed";
      this.error = String(err);
      this.finish(this);
    } finally {
      this.busy = false;
    }
    if (this.state !== "done" && this.state !== "failed" &&
        (this.unsent.length > 0 || this.stopped)) this.pump();
  }
}

// Configuration comes in the URL's fragment as JSON.
const CONFIG = JSON.parse(decodeURIComponent(location.hash.slice(1) || "{}"));
