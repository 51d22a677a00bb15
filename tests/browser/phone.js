// A minimal calldocker.v1 softphone for the browser test (docs/ws.md):
// one socket, messages handled strictly in arrival order, one
// RTCPeerConnection per call; and the agent's recorder of a call
// (Recorder, docs/api.md "Browser recordings"). The page's test driver
// reads window.phone.
"use strict";

class Phone {
  constructor(wsUrl, auth) {
    this.log = [];
    this.state = "connecting";
    this.callId = null;
    this.pc = null;
    this.pending = [];          // ICE candidates before the remote SDP
    this.localStream = null;    // our microphone
    this.remoteStream = null;   // the other party's audio
    this.onmedia = null;        // both streams are there (a function)
    this.seq = 0;
    this.chain = Promise.resolve();
    this.handlers = {};
    this.ws = new WebSocket(wsUrl, "calldocker.v1");
    this.ws.onopen = () => this.send(auth);
    this.ws.onclose = (e) => { this.state = "closed:" + e.code; };
    this.ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      this.log.push(m.type + (m.code ? ":" + m.code : ""));
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
    if (m.type === "authenticated") this.state = "ready";
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
      if (e.track.kind !== "audio" || this.remoteStream) return;
      this.remoteStream = e.streams[0] || new MediaStream([e.track]);
      // Chromium feeds WebAudio from a remote WebRTC stream only while a
      // media element plays it too.
      const a = new Audio();
      a.muted = true;
      a.srcObject = this.remoteStream;
      a.play().catch(() => {});
      this.media();
    };
    this.pc = pc;
    return pc;
  }

  async addMedia(constraints) {
    const s = await navigator.mediaDevices.getUserMedia(constraints);
    s.getTracks().forEach((t) => this.peer().addTrack(t, s));
    if (constraints.audio && !this.localStream) {
      this.localStream = s;
      this.media();
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

  // What the driver checks: connection state, audio bytes and video
  // frames received.
  async stats() {
    const r = {pc: this.pc ? this.pc.connectionState : "none",
      audio_bytes: 0, video_frames: 0, state: this.state, log: this.log};
    if (!this.pc) return r;
    (await this.pc.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "audio") r.audio_bytes += s.bytesReceived || 0;
      if (s.kind === "video") r.video_frames += s.framesDecoded || 0;
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
