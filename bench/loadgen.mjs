#!/usr/bin/env node
// Load generator for Yjs sync servers: one process, one clock (performance.now).
//
//   node loadgen.mjs fanout --config cfg.json   R rooms x C clients, T typists per room at a
//                                               fixed rate; fan-out latency and delivery
//   node loadgen.mjs build  --config cfg.json   write a long history into one document
//   node loadgen.mjs join   --config cfg.json   time a fresh client's sync step 1 -> step 2
//                                               (optionally: build the history first in the
//                                               same process, then a storm of N clients)
//
// Every option can also be given as a flag (--clients 50, --url-template ws://h:p/ws/{room},
// --rooms a,b). Output: JSON lines on stdout ({"event": ...}); the last one is
// {"event": "result", ...}. Diagnostics go to stderr. See README.md for the figures.
//
// Protocol seam: everything protocol-specific (URL, framing, handshake; see
// docs/protocols.md) is in PROTOCOLS: 'y-websocket' (one socket per document, the room in
// the URL) and 'hocuspocus' (the document name before every message, an Auth message
// answered by Authenticated, SyncStatus acknowledgements, bare Ping/Pong). The measurement
// code is the same for both.

import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { readFileSync } from 'node:fs'
import WebSocket from 'ws'
import * as Y from 'yjs'

const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const log = (...args) => console.error('[loadgen]', ...args)

// ---------------------------------------------------------------- lib0 encoding (subset)

function varUint (n) {
  const out = []
  while (n > 0x7f) {
    out.push(0x80 | (n & 0x7f))
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

function readVarUint (buf, offset) {
  let n = 0
  let mult = 1
  for (;;) {
    const b = buf[offset++]
    if (b === undefined) throw new Error('truncated varUint')
    n += (b & 0x7f) * mult
    if (b < 0x80) return [n, offset]
    mult *= 128
  }
}

const concat = (parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))))
const varBytes = (bytes) => concat([varUint(bytes.length), bytes])
const varString = (s) => varBytes(Buffer.from(s, 'utf8'))

// y-websocket messages (docs/protocols.md §2), without any document-name prefix
const MSG_SYNC = 0
const MSG_AWARENESS = 1
const MSG_AUTH = 2 // Hocuspocus: sub 0 token, 1 permission denied, 2 authenticated
const MSG_SYNC_STATUS = 8 // Hocuspocus: one per client step 2 or update, after the server took it
const AUTH_DENIED = 1
const AUTH_OK = 2
const HP_PING = 9 // Hocuspocus 4: bare one-byte frames, no document name
const HP_PONG = Buffer.from([10])
const PROVIDER_VERSION = '4.8.0' // what @hocuspocus/provider 4.8.0 sends in its Auth message
const SYNC_STEP1 = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2
const syncMsg = (sub, payload) => concat([[MSG_SYNC, sub], varBytes(payload)])
const EMPTY_SV = Buffer.from([0])
const EMPTY_UPDATE = Buffer.from([0, 0])

function awarenessMsg (clientId, clock, state) {
  const entry = concat([varUint(1), varUint(clientId), varUint(clock), varString(JSON.stringify(state))])
  return concat([[MSG_AWARENESS], varBytes(entry)])
}

// ---------------------------------------------------------------- protocol adapters

const prefixes = new Map() // document name -> its varString, computed once
const prefixOf = (room) => {
  let p = prefixes.get(room)
  if (!p) prefixes.set(room, (p = varString(room)))
  return p
}

const PROTOCOLS = {
  'y-websocket': {
    // one socket per document; the room name (and a token, if any) is part of the URL
    url: (template, room, token) => template.replace('{room}', room).replace('{token}', encodeURIComponent(token ?? '')),
    wrap: (room, msg) => msg,
    // offset of the y-protocol message inside a frame, or -1 if the frame is not one
    unwrap: (room, frame) => 0,
    handshake: (room, token) => [],
    acks: false
  },
  hocuspocus: {
    // one socket (here: per client) for any number of documents; the token goes in Auth
    url: (template, room, token) => template.replace('{room}', encodeURIComponent(room)).replace('{token}', encodeURIComponent(token ?? '')),
    wrap: (room, msg) => concat([prefixOf(room), msg]),
    unwrap: (room, frame) => {
      if (frame.length < 2) return -1 // bare Ping (09): answered by the client
      const [len, start] = readVarUint(frame, 0)
      const end = start + len
      if (end >= frame.length) return -1
      const p = prefixOf(room)
      return frame.compare(p, 0, p.length, 0, end) === 0 ? end : -1
    },
    // the provider's Auth: [name, 2, 0, token, providerVersion]; it pipelines step 1 after it
    handshake: (room, token) => [concat([prefixOf(room), [MSG_AUTH, 0], varString(token ?? ''), varString(PROVIDER_VERSION)])],
    acks: true
  }
}

// ---------------------------------------------------------------- small utilities

function mulberry32 (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function percentiles (values) {
  const n = values.length
  if (n === 0) return { count: 0, p50: null, p95: null, p99: null, p999: null, max: null, mean: null }
  const sorted = Float64Array.from(values).sort()
  const at = (q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] // nearest rank
  let sum = 0
  for (const v of sorted) sum += v
  const r = (x) => Math.round(x * 1000) / 1000
  return { count: n, p50: r(at(0.5)), p95: r(at(0.95)), p99: r(at(0.99)), p999: r(at(0.999)), max: r(sorted[n - 1]), mean: r(sum / n) }
}

function parseArgs (argv) {
  const [mode, ...rest] = argv
  const cfg = {}
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`)
    const key = arg.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase())
    const value = rest[++i]
    if (value === undefined) throw new Error(`missing value for ${arg}`)
    if (key === 'config') Object.assign(cfg, JSON.parse(readFileSync(value, 'utf8')))
    else if (key === 'rooms') cfg.rooms = value.split(',')
    else if (key === 'steps') cfg.steps = value.split(',').map(Number)
    else cfg[key] = /^-?[0-9.]+$/.test(value) ? Number(value) : value
  }
  return { mode, cfg }
}

// ---------------------------------------------------------------- a client

const MARK = Buffer.from('[m')
const CLOSE_BRACKET = 0x5d
const COLON = 0x3a

/** Marker keys: typist id * 1e7 + seq (both small integers, exact in a double). */
const markerKey = (typist, seq) => typist * 1e7 + seq

class Client {
  constructor (run, room, index, typistId) {
    this.run = run
    this.room = room
    this.index = index // index inside the room
    this.typistId = typistId // global typist id, or -1 for a passive reader
    this.proto = run.proto
    // several instances of one server (urlTemplates): clients dealt over them in turn
    const templates = run.cfg.urlTemplates
    this.urlTemplate = templates?.length ? templates[index % templates.length] : run.cfg.urlTemplate
    this.token = run.nextToken() // --tokens: one per client, handed out in order (optional)
    this.doc = typistId >= 0 ? new Y.Doc() : null
    this.clientId = this.doc ? this.doc.clientID : Math.floor(run.rand() * 0xffffffff)
    this.awarenessClock = 0
    this.synced = false // received a step 2
    this.authenticated = !this.proto.acks // Hocuspocus: received Authenticated
    this.closed = false
    // What this client received of each typist, in memory that does not grow with the run:
    // the highest seq, and the seqs below it not received yet (none while nothing is lost or
    // reordered). A seq at or below the highest that is not a gap was received before.
    this.lastSeq = new Map() // typist id -> highest seq received
    this.gaps = new Map() // typist id -> Set of seqs below lastSeq not received yet
    this.frames = 0
    this.bytes = 0
    this.stamp = null
    this.unacked = [] // Hocuspocus: { t, record } per step 2 or update sent, oldest first
    if (this.doc) {
      this.doc.on('update', (update, origin) => {
        if (origin === 'remote') return
        const frame = syncMsg(SYNC_UPDATE, update)
        const record = this.stamp
        if (record) { record.t = now(); this.stamp = null } // send time of a marker
        this.send(frame, record)
      })
    }
  }

  connect () {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.proto.url(this.urlTemplate, this.room.name, this.token), {
        perMessageDeflate: false
      })
      this.ws = ws
      ws.binaryType = 'nodebuffer'
      let done = false
      this.onSynced = () => {
        if (!done) { done = true; resolve() }
      }
      this.onDenied = (reason) => {
        this.run.errors.push(`${this.room.name}#${this.index}: permission denied: ${reason}`)
        if (!done) { done = true; reject(new Error(`permission denied: ${reason}`)) }
      }
      ws.on('open', () => {
        for (const frame of this.proto.handshake(this.room.name, this.token)) ws.send(frame)
        const sv = this.doc ? Y.encodeStateVector(this.doc) : EMPTY_SV
        this.send(syncMsg(SYNC_STEP1, sv))
        if (this.run.cfg.awareness !== 'none') this.sendPresence()
      })
      ws.on('message', (data) => this.onFrame(data))
      ws.on('error', (err) => {
        this.run.errors.push(`${this.room.name}#${this.index}: ${err.message}`)
        if (!done) { done = true; reject(err) }
      })
      ws.on('close', (code, reason) => {
        if (!this.run.closing) {
          this.run.disconnects.push({ at: new Date().toISOString(), room: this.room.name, client: this.index, code, reason: String(reason) })
        }
        // copies are owed only to sockets still open when an edit is sent (see `owed`)
        if (!this.closed) this.room.closed = (this.room.closed ?? 0) + 1
        this.closed = true
        if (!done) { done = true; reject(new Error(`closed ${code} ${reason}`)) }
      })
    })
  }

  send (msg, record = null) {
    if (this.ws.readyState !== WebSocket.OPEN) return
    this.ws.send(this.proto.wrap(this.room.name, msg))
    // the Hocuspocus server acknowledges every step 2 and update with one SyncStatus
    if (this.proto.acks && msg[0] === MSG_SYNC && msg[1] !== SYNC_STEP1) this.unacked.push({ t: now(), record })
  }

  sendPresence (cursor) {
    const state = { user: { name: `bench-${this.room.index}-${this.index}` } }
    if (cursor !== undefined) state.cursor = { anchor: cursor, head: cursor }
    this.send(awarenessMsg(this.clientId, ++this.awarenessClock, state))
  }

  ready () {
    if (this.synced && this.authenticated) this.onSynced()
  }

  onFrame (frame) {
    const t = now()
    this.frames++
    this.bytes += frame.length
    if (frame.length === 1 && frame[0] === HP_PING) { this.ws.send(HP_PONG); return }
    const off = this.proto.unwrap(this.room.name, frame)
    if (off < 0) return
    const type = frame[off]
    if (type === MSG_AUTH) {
      if (frame[off + 1] === AUTH_OK) { this.authenticated = true; this.ready() }
      else if (frame[off + 1] === AUTH_DENIED) this.onDenied(String(frame.subarray(off + 2)))
      return
    }
    if (type === MSG_SYNC_STATUS) {
      const entry = this.unacked.shift()
      if (this.run.ack) this.run.ack(this, entry, frame[off + 1] === 1, t)
      return
    }
    if (type !== MSG_SYNC) return // awareness and the rest: not measured
    const sub = frame[off + 1]
    if (sub === SYNC_STEP1) {
      // answer the server's step 1 as a real client does
      const [len, start] = readVarUint(frame, off + 2)
      const update = this.doc ? Y.encodeStateAsUpdate(this.doc, frame.subarray(start, start + len)) : EMPTY_UPDATE
      this.send(syncMsg(SYNC_STEP2, update))
      return
    }
    if (sub !== SYNC_STEP2 && sub !== SYNC_UPDATE) return
    if (this.run.measuring) this.scan(frame, off + 2, t, sub === SYNC_STEP2)
    if (this.doc) {
      const [len, start] = readVarUint(frame, off + 2)
      Y.applyUpdate(this.doc, frame.subarray(start, start + len), 'remote')
    }
    if (sub === SYNC_STEP2 && !this.synced) {
      this.synced = true
      this.ready()
    }
  }

  /** Find every marker "[m<typist>:<seq>]" in the frame's bytes and account for it. */
  scan (frame, from, t, viaSync) {
    const run = this.run
    let i = frame.indexOf(MARK, from)
    while (i !== -1) {
      let j = i + 2
      let typist = 0
      let seq = 0
      let ok = false
      while (j < frame.length && frame[j] >= 0x30 && frame[j] <= 0x39) typist = typist * 10 + frame[j++] - 0x30
      if (frame[j] === COLON) {
        j++
        const digits = j
        while (j < frame.length && frame[j] >= 0x30 && frame[j] <= 0x39) seq = seq * 10 + frame[j++] - 0x30
        ok = j > digits && frame[j] === CLOSE_BRACKET
      }
      if (ok) run.receipt(this, typist, seq, t, viaSync)
      i = frame.indexOf(MARK, j)
    }
  }

  close () {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000)
  }
}

// ---------------------------------------------------------------- run state shared by modes

class Run {
  constructor (cfg) {
    this.cfg = cfg
    this.proto = PROTOCOLS[cfg.protocol || 'y-websocket']
    if (!this.proto) throw new Error(`unknown protocol ${cfg.protocol}`)
    this.rand = mulberry32(cfg.seed ?? 1)
    this.errors = []
    this.disconnects = []
    this.closing = false
    this.measuring = false
    this.tokensUsed = 0
  }

  nextToken () {
    const tokens = this.cfg.tokens
    return tokens?.length ? tokens[this.tokensUsed++ % tokens.length] : undefined
  }

  async connectAll (clients, parallel = 16) {
    // the first client of each room alone first: a room is created once, then joined (some
    // servers hang concurrent first joiners of a room; that is not what is measured here)
    const firsts = new Set()
    for (const c of clients) if (c.index === 0) firsts.add(c)
    const rest = clients.filter((c) => !firsts.has(c))
    const queue0 = [...firsts]
    const worker0 = async () => {
      while (queue0.length) await queue0.shift().connect()
    }
    await Promise.all(Array.from({ length: Math.min(parallel, queue0.length) }, worker0))
    const queue = rest
    const worker = async () => {
      while (queue.length) await queue.shift().connect()
    }
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, worker))
  }

  async closeAll (clients) {
    this.closing = true
    for (const c of clients) c.close()
    const deadline = now() + 3000
    while (clients.some((c) => !c.closed) && now() < deadline) await sleep(20)
  }
}

// ---------------------------------------------------------------- mode: fanout

const round3 = (x) => Math.round(x * 1000) / 1000

async function fanout (cfg) {
  const run = new Run(cfg)
  const names = cfg.rooms
  const clientsPerRoom = cfg.clients
  const typistsPerRoom = cfg.typists
  const warmupMs = (cfg.warmup ?? 3) * 1000
  const measureMs = (cfg.duration ?? 15) * 1000
  const drainMaxMs = (cfg.drain ?? 5) * 1000
  // ceiling search: steps of total edits/s (all rooms); each step is a short phase (warm-up,
  // measured window, drain); the search stops at the first step whose p99 > maxP99 ms or
  // that lost an edit. Without steps: one phase at cfg.rate edits/s per typist.
  const steps = cfg.steps ?? null
  const maxP99 = cfg.maxP99 ?? 100
  if (!names?.length || !cfg.urlTemplate) throw new Error('fanout needs rooms and urlTemplate')
  if (!(typistsPerRoom >= 1 && typistsPerRoom <= clientsPerRoom)) throw new Error('need 1 <= typists <= clients')

  const rooms = []
  const clients = []
  const typists = []
  let nextTypist = 0
  names.forEach((name, r) => {
    const room = { name, index: r, clients: [] }
    for (let i = 0; i < clientsPerRoom; i++) {
      const c = new Client(run, room, i, i < typistsPerRoom ? nextTypist++ : -1)
      room.clients.push(c)
      clients.push(c)
      if (c.doc) typists.push(c)
    }
    rooms.push(room)
  })

  // -- accounting: every marker belongs to the phase that sent it. A marker's record is
  //    dropped once every copy it is owed has arrived (a soak sends millions): what stays is
  //    what is still on its way, or lost.
  const sent = new Map() // marker key -> { t, room, measured, phase, got, owed, worst, first }
  const typistById = new Map(typists.map((c) => [c.typistId, c]))
  const SLOWEST = 10
  const offerSlowest = (m) => { // keep the phase's ten slowest fan-outs (measured markers)
    if (!m.measured || !(m.worst > 0)) return
    const list = m.phase.slowest
    if (list.length === SLOWEST && m.worst <= list[SLOWEST - 1].worst) return
    list.push(m)
    list.sort((a, b) => b.worst - a.worst)
    if (list.length > SLOWEST) list.pop()
  }
  const newCounts = () => ({ sent: 0, sentMeasured: 0, expected: 0, delivered: 0, deliveredMeasured: 0, duplicated: 0, outOfOrder: 0, selfEcho: 0, viaSync: 0, unknown: 0, crossRoom: 0, acked: 0, refused: 0, ackedMeasured: 0 })
  let ph = null // the current phase: { counts, latencies, ackLatencies, lateByClient, slowest }
  run.receipt = (client, typist, seq, t, viaSync) => {
    const author = typistById.get(typist)
    if (!author || !(seq < author.seq)) { ph.counts.unknown++; return } // never sent
    if (author.room !== client.room) { ph.counts.crossRoom++; return }
    if (typist === client.typistId) { ph.counts.selfEcho++; return }
    const key = markerKey(typist, seq)
    const m = sent.get(key) // absent: every copy of it had arrived already
    const counts = m ? m.phase.counts : ph.counts
    if (viaSync) { counts.viaSync++ } // a marker that only reached this client inside a step 2
    const last = client.lastSeq.get(typist) ?? -1
    if (seq > last) {
      if (seq > last + 1) {
        let gaps = client.gaps.get(typist)
        if (!gaps) client.gaps.set(typist, (gaps = new Set()))
        for (let s = last + 1; s < seq; s++) gaps.add(s)
      }
      client.lastSeq.set(typist, seq)
    } else if (client.gaps.get(typist)?.delete(seq)) {
      counts.outOfOrder++
    } else {
      counts.duplicated++
      return
    }
    counts.delivered++
    if (!m) return // more copies than were owed (its record is gone): delivered, not timed
    m.got++
    if (m.measured && !viaSync) {
      counts.deliveredMeasured++
      const lat = t - m.t
      m.phase.latencies.push(lat)
      if (lat > 20) m.phase.lateByClient[client.index] = (m.phase.lateByClient[client.index] || 0) + 1
      if (lat > m.worst) { m.worst = lat; m.worstClient = client.index }
      if (lat < m.first) m.first = lat
    }
    if (m.got >= m.owed) {
      offerSlowest(m)
      sent.delete(key)
    }
  }
  // Hocuspocus: one SyncStatus per step 2 or update; for markers, time send -> acknowledgement
  run.ack = (client, entry, applied, t) => {
    const counts = entry?.record?.phase?.counts ?? ph?.counts
    if (!counts) return
    if (!entry) { counts.unknown++; return } // an acknowledgement nobody waits for
    if (applied) counts.acked++
    else counts.refused++
    if (entry.record?.measured && applied) {
      counts.ackedMeasured++
      entry.record.phase.ackLatencies.push(t - entry.t)
    }
  }

  // -- connect everything, then let the join traffic (awareness) settle
  const tConnect = now()
  try {
    await run.connectAll(clients)
  } catch (err) {
    emit({ event: 'result', mode: 'fanout', ok: false, error: `connect failed: ${err.message}`, errors: run.errors.slice(0, 20) })
    process.exit(1)
  }
  const connectMs = now() - tConnect
  emit({ event: 'connected', clients: clients.length, ms: Math.round(connectMs) })
  await sleep(500)

  // presence renewal, as y-websocket clients do every 15 s; real clients joined at different
  // times, so each one renews at its own phase (not all 50 in the same millisecond)
  const renewals = []
  if (cfg.awareness !== 'none') {
    for (const c of clients) {
      renewals.push(setTimeout(() => {
        c.sendPresence()
        renewals.push(setInterval(() => c.sendPresence(), 15000))
      }, run.rand() * 15000))
    }
  }
  // A random place in the typist's text. Cheap on purpose (Y.Text length is O(1); the
  // text grows by thousands of markers in a ceiling search): an insert may land inside an
  // older marker, which splits that marker in the documents but never in an update frame,
  // where the generator looks for markers (an insert is one contiguous string).
  const pickPosition = (text) => Math.floor(run.rand() * (text.length + 1))
  run.measuring = true

  /** Typists at `rate` edits/s each: warm-up, measured window, then a drain. */
  async function phase (index, rate, phWarmupMs, phMeasureMs, phDrainMs) {
    ph = { counts: newCounts(), latencies: [], ackLatencies: [], lateByClient: {}, slowest: [] }
    const P = ph
    const counts = P.counts
    const interval = 1000 / rate
    let typing = true
    let stage = 'warmup'
    const sendLag = []
    const tStart = now() + 50
    for (const c of typists) {
      const k = c.index
      c.seq = c.seq ?? 0
      c.due = tStart + (k / typistsPerRoom + c.room.index / rooms.length / typistsPerRoom) * interval
      const edit = () => {
        const t0 = now()
        if (stage === 'measure') sendLag.push(t0 - c.due)
        const seq = c.seq++
        const marker = `[m${c.typistId}:${seq}]`
        const text = c.doc.getText('body')
        const pos = pickPosition(text)
        // every other client of the room whose socket is open now (a typing client is open);
        // after a disconnection, copies to that client are no longer expected
        const owed = c.room.clients.length - 1 - (c.room.closed ?? 0)
        const key = markerKey(c.typistId, seq)
        const record = { t: 0, room: c.room, measured: stage === 'measure', phase: P, got: 0, owed, worst: 0, first: Infinity }
        if (owed > 0) sent.set(key, record)
        c.stamp = record // the 'update' handler stamps it just before ws.send, inside transact()
        c.doc.transact(() => {
          text.insert(pos, marker + ' ')
          // The soak's text keeps a steady length, as a workshop rewrites its article: past
          // `steadyText` characters, each edit also deletes as many at a random place (in the
          // same update, before or after the marker, never inside it).
          if (cfg.steadyText && text.length > cfg.steadyText) {
            const n = marker.length + 1
            const before = Math.floor(run.rand() * 2) === 0 && pos >= n
            const at = before ? Math.floor(run.rand() * (pos - n + 1)) : pos + n + Math.floor(run.rand() * (text.length - pos - 2 * n + 1))
            if (at >= 0 && at + n <= text.length && (at + n <= pos || at >= pos + n)) text.delete(at, n)
          }
        })
        if (cfg.awareness === 'cursor') c.sendPresence(pos + marker.length + 1)
        counts.sent++
        counts.expected += owed
        if (stage === 'measure') counts.sentMeasured++
        c.due += interval
      }
      // every edit that is due (at high rates several per timer: timers fire at most once
      // per millisecond), then sleep until the next one
      const step = () => {
        if (!typing || c.closed) return
        do { edit() } while (typing && c.due <= now() + 0.5)
        setTimeout(step, Math.max(0, c.due - now()))
      }
      setTimeout(step, Math.max(0, c.due - now()))
    }
    await sleep(phWarmupMs + 50)
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    const cpu0 = process.cpuUsage()
    stage = 'measure'
    const tMeasure = now()
    const wallMeasure = Date.now()
    emit({ event: 'measure_start', step: index })
    await sleep(phMeasureMs)
    stage = 'drain'
    typing = false
    const measuredMs = now() - tMeasure
    const cpu = process.cpuUsage(cpu0)
    loop.disable()
    emit({ event: 'measure_end', step: index })

    // -- drain: wait until every marker reached every other client (and, with
    //    acknowledgements, until every update was acknowledged), or give up
    const unackedNow = () => typists.reduce((n, c) => n + c.unacked.length, 0)
    const tDrain = now()
    while ((counts.delivered < counts.expected || unackedNow() > 0) && now() - tDrain < phDrainMs) await sleep(20)
    const drainMs = now() - tDrain
    // what is left of the phase's markers had copies that never arrived
    let incomplete = 0
    for (const m of sent.values()) {
      if (m.phase !== P) continue
      incomplete++
      offerSlowest(m)
    }
    // the slowest fan-outs, with their send time: to line up with the server's log
    const slowest = P.slowest
      .map((m) => ({ sentAt: new Date(wallMeasure + (m.t - tMeasure)).toISOString(), firstMs: round3(m.first), lastMs: round3(m.worst), lastClient: m.worstClient, typistsPerRoom }))
    const latencyMs = percentiles(P.latencies)
    const lost = counts.expected - counts.delivered
    return {
      step: index,
      ratePerTypist: rate,
      targetEditsPerSecond: rate * typists.length,
      measuredMs: Math.round(measuredMs),
      drainMs: Math.round(drainMs),
      editsPerSecond: round3(counts.sentMeasured / (measuredMs / 1000)),
      latencyMs,
      ackLatencyMs: cfg.protocol === 'hocuspocus' ? percentiles(P.ackLatencies) : null,
      delivery: {
        sent: counts.sent,
        sentMeasured: counts.sentMeasured,
        expected: counts.expected,
        delivered: counts.delivered,
        deliveredMeasured: counts.deliveredMeasured,
        lost,
        markersIncomplete: incomplete,
        duplicated: counts.duplicated,
        outOfOrder: counts.outOfOrder,
        selfEcho: counts.selfEcho,
        viaSync: counts.viaSync,
        unknown: counts.unknown + counts.crossRoom,
        acked: counts.acked,
        ackRefused: counts.refused,
        ackMissing: cfg.protocol === 'hocuspocus' ? unackedNow() : 0
      },
      slowest,
      lateByClient: P.lateByClient,
      generator: {
        cpuUserS: round3(cpu.user / 1e6),
        cpuSystemS: round3(cpu.system / 1e6),
        loopDelayMs: { p50: round3(loop.percentile(50) / 1e6), p99: round3(loop.percentile(99) / 1e6), max: round3(loop.max / 1e6) },
        sendLagMs: percentiles(sendLag)
      },
      passed: lost === 0 && counts.duplicated === 0 && counts.outOfOrder === 0 && run.disconnects.length === 0 && (latencyMs.p99 ?? Infinity) <= maxP99
    }
  }

  let main = null
  const stepResults = []
  if (steps) {
    for (let i = 0; i < steps.length; i++) {
      const r = await phase(i, steps[i] / typists.length, warmupMs, measureMs, drainMaxMs)
      // generator-bound: it could not send at the asked rate (then the server is not the limit)
      r.generatorBound = r.editsPerSecond < 0.9 * r.targetEditsPerSecond
      stepResults.push(r)
      emit({ event: 'step', step: i, target: r.targetEditsPerSecond, editsPerSecond: r.editsPerSecond, p99: r.latencyMs.p99, lost: r.delivery.lost, passed: r.passed })
      if (!r.passed || r.generatorBound) break
      await sleep(300)
    }
    // the ceiling: the highest rate actually sent in a step that passed (a generator-bound
    // step that passed still proves the server took that rate: the ceiling is then "at least")
    const passed = stepResults.filter((r) => r.passed)
    main = passed.length ? passed[passed.length - 1] : stepResults[0]
  } else {
    main = await phase(0, cfg.rate, warmupMs, measureMs, drainMaxMs)
  }
  for (const timer of renewals) clearTimeout(timer) // also clears intervals in Node
  run.measuring = false

  // convergence: every typist's document holds the same text
  const converged = rooms.every((room) => {
    const texts = room.clients.filter((c) => c.doc).map((c) => c.doc.getText('body').toString())
    return texts.every((s) => s === texts[0])
  })
  let frames = 0
  let bytes = 0
  for (const c of clients) { frames += c.frames; bytes += c.bytes }
  await run.closeAll(clients)

  const d = main.delivery
  const clean = d.lost === 0 && d.duplicated === 0 && d.outOfOrder === 0 && d.ackMissing === 0
  emit({
    event: 'result',
    mode: 'fanout',
    ok: steps ? stepResults.length > 0 && run.disconnects.length === 0 : clean && run.disconnects.length === 0,
    config: { rooms: rooms.length, clientsPerRoom, typistsPerRoom, rate: main.ratePerTypist, awareness: cfg.awareness ?? 'presence', warmupS: warmupMs / 1000, measureS: measureMs / 1000, protocol: cfg.protocol || 'y-websocket' },
    connectMs: Math.round(connectMs),
    ...main,
    ceiling: steps
      ? {
          maxP99Ms: maxP99,
          // highest step passed (p99 within bound, nothing lost); null if none did
          editsPerSecond: main.passed ? main.editsPerSecond : null,
          // why the search stopped: the server missed a bound ('p99', 'lost', 'disconnect'),
          // or it kept up but the generator could not send faster ('generator': the ceiling
          // is then a lower bound), or every step passed ('last step': a lower bound too)
          stoppedBy: (() => {
            const last = stepResults[stepResults.length - 1]
            if (!last.passed) return last.delivery.lost > 0 ? 'lost' : run.disconnects.length ? 'disconnect' : 'p99'
            return last.generatorBound ? 'generator' : 'last step'
          })(),
          steps: stepResults.map((r) => ({ target: r.targetEditsPerSecond, editsPerSecond: r.editsPerSecond, p50: r.latencyMs.p50, p99: r.latencyMs.p99, lost: r.delivery.lost, passed: r.passed, generatorBound: r.generatorBound, loopDelayP99: r.generator.loopDelayMs.p99 }))
        }
      : null,
    converged,
    framesReceived: frames,
    bytesReceived: bytes,
    disconnectCount: run.disconnects.length,
    disconnects: run.disconnects.slice(0, 20),
    // what the accounting still holds at the end: only markers with copies missing, and the
    // seqs each client is still missing (it does not grow with the length of the run)
    bookkeeping: {
      markersKept: sent.size,
      gapsKept: clients.reduce((n, c) => n + [...c.gaps.values()].reduce((m, g) => m + g.size, 0), 0)
    },
    errors: run.errors.slice(0, 20)
  })
}

// ---------------------------------------------------------------- mode: build

/** One client writes `inserts` single-character edits then `deletes` single-character
 *  deletions, each its own transaction and its own update frame, through the server.
 *  Returns the writer, still connected, and the figures. */
async function buildHistory (run, room, cfg) {
  const writer = new Client(run, room, 0, 0)
  await writer.connect()
  const text = writer.doc.getText('body')
  const inserts = cfg.inserts ?? 20000
  const deletes = cfg.deletes ?? 2000
  const pattern = cfg.pattern ?? 'random'
  const alphabet = 'abcdefghijklmnopqrstuvwxyz '

  // a round trip (our step 1, the server's step 2) proves the server has read all we sent
  const roundTrip = () => new Promise((resolve) => {
    writer.onSynced = resolve
    writer.synced = false
    writer.send(syncMsg(SYNC_STEP1, Y.encodeStateVector(writer.doc)))
  })

  const t0 = now()
  let cursor = text.length
  for (let i = 0; i < inserts; i++) {
    // 'random': every edit at a random place (no two edits merge: the worst case for item
    // count). 'typing': runs of ~20 characters at a cursor that jumps now and then.
    if (pattern === 'random' || run.rand() < 0.05) cursor = Math.floor(run.rand() * (text.length + 1))
    const ch = alphabet[Math.floor(run.rand() * alphabet.length)]
    writer.doc.transact(() => text.insert(cursor, ch))
    cursor++
    if (i % 1000 === 999) {
      await roundTrip()
      emit({ event: 'progress', inserts: i + 1 })
    }
  }
  for (let i = 0; i < deletes; i++) {
    const at = Math.floor(run.rand() * text.length)
    writer.doc.transact(() => text.delete(at, 1))
    if (i % 1000 === 999) await roundTrip()
  }
  await roundTrip()
  const buildMs = now() - t0

  // check: a fresh client gets exactly the writer's text
  run.tokensUsed = 1
  const fresh = new Client(run, room, 1, 1)
  await fresh.connect()
  const ok = fresh.doc.getText('body').toString() === text.toString()
  run.closing = true
  fresh.close()
  while (!fresh.closed) await sleep(10)
  run.closing = false
  return {
    writer,
    stats: {
      ok,
      pattern,
      inserts,
      deletes,
      updatesSent: inserts + deletes,
      textLength: text.length,
      buildMs: Math.round(buildMs),
      fullStateBytes: Y.encodeStateAsUpdate(writer.doc).length
    }
  }
}

async function build (cfg) {
  const run = new Run(cfg)
  const room = { name: cfg.room, index: 0, clients: [] }
  const { writer, stats } = await buildHistory(run, room, cfg)
  await run.closeAll([writer])
  emit({
    event: 'result',
    mode: 'build',
    ...stats,
    errors: run.errors.slice(0, 20),
    disconnects: run.disconnects.slice(0, 20)
  })
}

// ---------------------------------------------------------------- mode: join

/** A raw fresh client: connect, send step 1 on open (after the Auth message on Hocuspocus),
 *  time the step 2 that answers it (and, on Hocuspocus, Authenticated). With apply false the
 *  step 2 is not applied (a storm measures the server, not 200 Y.Docs in the generator); with
 *  keepOpen the socket stays open and the result has a close() function. */
function freshJoin (run, room, token, { apply = true, keepOpen = false } = {}) {
  return new Promise((resolve, reject) => {
    const proto = run.proto
    const tConnect = now()
    let tStep1 = 0
    let tOpen = 0
    let tServerStep1 = 0
    let authed = !proto.acks
    let step2 = null
    const ws = new WebSocket(proto.url(run.cfg.urlTemplate, room, token), { perMessageDeflate: false })
    ws.binaryType = 'nodebuffer'
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('join timed out')) }, 60000)
    const finish = () => {
      clearTimeout(timer)
      const { t, update } = step2
      let applyMs = null
      let textLength = null
      if (apply) {
        const doc = new Y.Doc()
        const tApply = now()
        Y.applyUpdate(doc, update)
        applyMs = now() - tApply
        textLength = doc.getText('body').length
      }
      const result = {
        step1ToStep2Ms: t - tStep1,
        connectToStep2Ms: t - tConnect,
        // split of step1ToStep2Ms: open -> the server's own step 1 (find the document,
        // load it if needed, join), then that -> step 2 (answer the state vector)
        openToServerStep1Ms: tServerStep1 ? tServerStep1 - tOpen : null,
        serverStep1ToStep2Ms: tServerStep1 ? t - Math.max(tServerStep1, tStep1) : null,
        bytes: update.length,
        textLength,
        clientApplyMs: applyMs,
        doneAt: t
      }
      if (keepOpen) {
        resolve({ ...result, close: () => new Promise((resolve) => { ws.on('close', resolve); ws.close(1000) }) })
      } else {
        ws.on('close', () => resolve(result))
        ws.close(1000)
      }
    }
    ws.on('open', () => {
      for (const frame of proto.handshake(room, token)) ws.send(frame)
      tOpen = tStep1 = now()
      ws.send(proto.wrap(room, syncMsg(SYNC_STEP1, EMPTY_SV)))
    })
    ws.on('message', (frame) => {
      const t = now()
      if (frame.length === 1 && frame[0] === HP_PING) { ws.send(HP_PONG); return }
      const off = proto.unwrap(room, frame)
      if (off < 0) return
      if (frame[off] === MSG_AUTH) {
        if (frame[off + 1] === AUTH_DENIED) { clearTimeout(timer); ws.terminate(); reject(new Error('permission denied')); return }
        if (frame[off + 1] === AUTH_OK) { authed = true; if (step2) finish() }
        return
      }
      if (frame[off] !== MSG_SYNC) return
      if (frame[off + 1] === SYNC_STEP1) {
        tServerStep1 = t // the server sends its step 1 once the socket has joined the room
        ws.send(proto.wrap(room, syncMsg(SYNC_STEP2, EMPTY_UPDATE)))
      } else if (frame[off + 1] === SYNC_STEP2 && !step2) {
        const [len, start] = readVarUint(frame, off + 2)
        step2 = { t, update: frame.subarray(start, start + len) }
        if (authed) finish()
      }
    })
    ws.on('error', (err) => { clearTimeout(timer); reject(err) })
  })
}

/** N fresh clients open their sockets in the same instant; time until each has its full
 *  step 2, and until all have. Nobody closes before everyone is synced. */
async function storm (run, room, n, tokens) {
  const t0 = now()
  const joins = []
  for (let i = 0; i < n; i++) {
    const token = tokens?.length ? tokens[i % tokens.length] : undefined
    joins.push(freshJoin(run, room, token, { apply: false, keepOpen: true }).catch((err) => ({ error: String(err.message || err) })))
  }
  const results = await Promise.all(joins)
  const ok = results.filter((r) => !r.error)
  const done = ok.map((r) => r.doneAt - t0)
  const allSyncedMs = ok.length === n ? Math.max(...done) : null
  await Promise.all(ok.map((r) => r.close()))
  return {
    clients: n,
    synced: ok.length,
    failed: n - ok.length,
    errors: results.filter((r) => r.error).slice(0, 5).map((r) => r.error),
    allSyncedMs: allSyncedMs === null ? null : round3(allSyncedMs),
    syncedMs: percentiles(done),
    bytes: ok.length ? ok[0].bytes : null
  }
}

async function join (cfg) {
  const run = new Run(cfg)
  const room = { name: cfg.room, index: 0, clients: [] }
  const samples = cfg.samples ?? 10
  const round = round3
  const summarize = (list) => ({
    step1ToStep2Ms: percentiles(list.map((s) => s.step1ToStep2Ms)),
    connectToStep2Ms: percentiles(list.map((s) => s.connectToStep2Ms)),
    openToServerStep1Ms: percentiles(list.map((s) => s.openToServerStep1Ms ?? NaN)),
    serverStep1ToStep2Ms: percentiles(list.map((s) => s.serverStep1ToStep2Ms ?? NaN)),
    bytes: list.length ? list[list.length - 1].bytes : null,
    textLength: list.length ? list[list.length - 1].textLength : null,
    clientApplyMs: percentiles(list.map((s) => s.clientApplyMs))
  })

  const roundAll = (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]))
  const joinToken = cfg.tokens?.[1]  // tokens[0] is the editor's (below), tokens[1] every fresh client's
  let editor
  let warmup = null
  let cold = null
  let built = null
  if (cfg.build) {
    // servers without storage: write the history through the server in this process; the
    // writer stays connected as the member that keeps the document in memory
    const b = await buildHistory(run, room, cfg)
    editor = b.writer
    built = b.stats
    emit({ event: 'built', ...built })
  } else {
    // 0. optionally warm the server process up on another document first, so that "cold"
    //    below measures loading this document, not the process's first connection
    warmup = cfg.warmRoom ? await freshJoin(run, cfg.warmRoom, joinToken) : null
    // 1. cold: the first client of this document since the server started (it is loaded)
    cold = await freshJoin(run, room.name, joinToken)
    emit({ event: 'cold', ...cold })
    if (cfg.coldOnly) {
      emit({ event: 'result', mode: 'join', ok: true, cold: roundAll(cold), errors: run.errors.slice(0, 20) })
      return
    }
    // 2. a member stays connected so that the room stays loaded
    run.tokensUsed = 0 // the editor takes tokens[0]
    editor = new Client(run, room, 0, 0)
    await editor.connect()
  }
  // 3. warm: fresh clients joining an unchanged, loaded document
  const warm = []
  for (let i = 0; i < samples; i++) warm.push(await freshJoin(run, room.name, joinToken))
  // 4. after an edit: the server cannot reuse a cached full state
  const afterEdit = []
  const text = editor.doc.getText('body')
  for (let i = 0; i < samples; i++) {
    editor.doc.transact(() => text.insert(Math.floor(run.rand() * (text.length + 1)), 'x'))
    await new Promise((resolve) => { // round trip: the server has applied the edit
      editor.onSynced = resolve
      editor.synced = false
      editor.send(syncMsg(SYNC_STEP1, Y.encodeStateVector(editor.doc)))
    })
    afterEdit.push(await freshJoin(run, room.name, joinToken))
  }
  // 5. a storm: N fresh clients connect at once (the member stays)
  let stormResult = null
  if (cfg.storm) {
    stormResult = await storm(run, room.name, cfg.storm, cfg.stormTokens?.length ? cfg.stormTokens : [joinToken])
    emit({ event: 'storm', allSyncedMs: stormResult.allSyncedMs, failed: stormResult.failed })
  }
  await run.closeAll([editor])
  emit({
    event: 'result',
    mode: 'join',
    ok: run.disconnects.length === 0 && (built ? built.ok : true) && (!stormResult || stormResult.failed === 0),
    build: built,
    cold: cold && roundAll(cold),
    warmup: warmup && roundAll(warmup),
    storm: stormResult,
    warm: summarize(warm),
    afterEdit: summarize(afterEdit),
    errors: run.errors.slice(0, 20),
    disconnects: run.disconnects.slice(0, 20)
  })
}

// ---------------------------------------------------------------- main

const MODES = { fanout, build, join }
const { mode, cfg } = parseArgs(process.argv.slice(2))
if (!MODES[mode]) {
  console.error('usage: node loadgen.mjs fanout|build|join [--config FILE] [--option value ...]')
  process.exit(2)
}
MODES[mode](cfg).then(
  () => process.exit(0),
  (err) => {
    log(err.stack || String(err))
    emit({ event: 'result', mode, ok: false, error: String(err.message || err) })
    process.exit(1)
  }
)
