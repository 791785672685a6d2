#!/usr/bin/env node
// Load generator for Yjs sync servers: one process, one clock (performance.now).
//
//   node loadgen.mjs fanout --config cfg.json   R rooms x C clients, T typists per room at a
//                                               fixed rate; fan-out latency and delivery
//   node loadgen.mjs build  --config cfg.json   write a long history into one document
//   node loadgen.mjs join   --config cfg.json   time a fresh client's sync step 1 -> step 2
//
// Every option can also be given as a flag (--clients 50, --url-template ws://h:p/ws/{room},
// --rooms a,b). Output: JSON lines on stdout ({"event": ...}); the last one is
// {"event": "result", ...}. Diagnostics go to stderr. See README.md for the figures.
//
// Protocol seam: everything protocol-specific (URL, framing, handshake) is in PROTOCOLS.
// Only y-websocket is implemented; a Hocuspocus adapter adds a document-name prefix, the
// auth message and Ping/Pong there, and the measurement code stays as it is.

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

// y-websocket messages (PROTOCOLS.md section 1), without any document-name prefix
const MSG_SYNC = 0
const MSG_AWARENESS = 1
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

const PROTOCOLS = {
  'y-websocket': {
    // one socket per document; the room name (and a token, if any) is part of the URL
    url: (template, room, token) => template.replace('{room}', room).replace('{token}', encodeURIComponent(token ?? '')),
    wrap: (room, msg) => msg,
    // offset of the y-protocol message inside a frame, or -1 if the frame is not one
    unwrap: (room, frame) => 0,
    handshake: (client) => []
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
    this.token = run.nextToken() // --tokens: one per client, handed out in order (optional)
    this.doc = typistId >= 0 ? new Y.Doc() : null
    this.clientId = this.doc ? this.doc.clientID : Math.floor(run.rand() * 0xffffffff)
    this.awarenessClock = 0
    this.synced = false
    this.closed = false
    this.seen = new Set() // marker keys received
    this.lastSeq = new Map() // typist id -> highest seq received
    this.frames = 0
    this.bytes = 0
    this.stamp = null
    if (this.doc) {
      this.doc.on('update', (update, origin) => {
        if (origin === 'remote') return
        const frame = syncMsg(SYNC_UPDATE, update)
        if (this.stamp) { this.stamp.t = now(); this.stamp = null } // send time of a marker
        this.send(frame)
      })
    }
  }

  connect () {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.proto.url(this.run.cfg.urlTemplate, this.room.name, this.token), {
        perMessageDeflate: false
      })
      this.ws = ws
      ws.binaryType = 'nodebuffer'
      let done = false
      this.onSynced = () => {
        if (!done) { done = true; resolve() }
      }
      ws.on('open', () => {
        for (const frame of this.proto.handshake(this)) ws.send(frame)
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
          this.run.disconnects.push({ room: this.room.name, client: this.index, code, reason: String(reason) })
        }
        this.closed = true
        if (!done) { done = true; reject(new Error(`closed ${code} ${reason}`)) }
      })
    })
  }

  send (msg) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(this.proto.wrap(this.room.name, msg))
  }

  sendPresence (cursor) {
    const state = { user: { name: `bench-${this.room.index}-${this.index}` } }
    if (cursor !== undefined) state.cursor = { anchor: cursor, head: cursor }
    this.send(awarenessMsg(this.clientId, ++this.awarenessClock, state))
  }

  onFrame (frame) {
    const t = now()
    this.frames++
    this.bytes += frame.length
    const off = this.proto.unwrap(this.room.name, frame)
    if (off < 0) return
    if (frame[off] !== MSG_SYNC) return // awareness and the rest: not measured
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
      this.onSynced()
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
    const queue = [...clients]
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

async function fanout (cfg) {
  const run = new Run(cfg)
  const names = cfg.rooms
  const clientsPerRoom = cfg.clients
  const typistsPerRoom = cfg.typists
  const rate = cfg.rate // edits per second per typist
  const warmupMs = (cfg.warmup ?? 3) * 1000
  const measureMs = (cfg.duration ?? 15) * 1000
  const drainMaxMs = (cfg.drain ?? 5) * 1000
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

  // -- accounting
  const sent = new Map() // marker key -> { t, room, measured, expected, got }
  const latencies = []
  const lateByClient = {} // client index in its room -> receipts later than 20 ms
  const counts = { sent: 0, sentMeasured: 0, expected: 0, delivered: 0, duplicated: 0, outOfOrder: 0, selfEcho: 0, viaSync: 0, unknown: 0, crossRoom: 0 }
  run.receipt = (client, typist, seq, t, viaSync) => {
    const key = markerKey(typist, seq)
    const m = sent.get(key)
    if (!m) { counts.unknown++; return }
    if (m.room !== client.room) { counts.crossRoom++; return }
    if (typist === client.typistId) { counts.selfEcho++; return }
    if (viaSync) { counts.viaSync++ } // a marker that only reached this client inside a step 2
    if (client.seen.has(key)) { counts.duplicated++; return }
    client.seen.add(key)
    const last = client.lastSeq.get(typist) ?? -1
    if (seq < last) counts.outOfOrder++
    else client.lastSeq.set(typist, seq)
    counts.delivered++
    m.got++
    if (m.measured && !viaSync) {
      const lat = t - m.t
      latencies.push(lat)
      if (lat > 20) lateByClient[client.index] = (lateByClient[client.index] || 0) + 1
      if (lat > m.worst) { m.worst = lat; m.worstClient = client.index }
      if (lat < m.first) m.first = lat
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

  // -- typists: fixed rate, phases spread evenly inside a room, rooms offset at random
  const interval = 1000 / rate
  let typing = true
  let phase = 'warmup'
  const sendLag = []
  const pickPosition = (text) => {
    const s = text.toString()
    const r = Math.floor(run.rand() * (s.length + 1))
    const space = s.indexOf(' ', r)
    return space === -1 ? s.length : space + 1 // insert at a word boundary, never inside a marker
  }
  const tStart = now() + 50
  for (const c of typists) {
    const k = c.index
    c.seq = 0
    c.due = tStart + (k / typistsPerRoom + c.room.index / rooms.length / typistsPerRoom) * interval
    const step = () => {
      if (!typing || c.closed) return
      const t0 = now()
      if (phase === 'measure') sendLag.push(t0 - c.due)
      const seq = c.seq++
      const marker = `[m${c.typistId}:${seq}]`
      const text = c.doc.getText('body')
      const pos = pickPosition(text)
      const others = c.room.clients.length - 1
      const key = markerKey(c.typistId, seq)
      const record = { t: 0, room: c.room, measured: phase === 'measure', got: 0, worst: 0, first: Infinity }
      sent.set(key, record)
      c.stamp = record // the 'update' handler stamps it just before ws.send, inside transact()
      c.doc.transact(() => text.insert(pos, marker + ' '))
      if (cfg.awareness === 'cursor') c.sendPresence(pos + marker.length + 1)
      counts.sent++
      counts.expected += others
      if (phase === 'measure') counts.sentMeasured++
      c.due += interval
      setTimeout(step, Math.max(0, c.due - now()))
    }
    setTimeout(step, Math.max(0, c.due - now()))
  }

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

  run.measuring = true
  await sleep(warmupMs + 50)
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const cpu0 = process.cpuUsage()
  phase = 'measure'
  const tMeasure = now()
  const wallMeasure = Date.now()
  emit({ event: 'measure_start' })
  await sleep(measureMs)
  phase = 'drain'
  typing = false
  const measuredMs = now() - tMeasure
  const cpu = process.cpuUsage(cpu0)
  loop.disable()
  emit({ event: 'measure_end' })

  // -- drain: wait until every marker reached every other client, or give up
  const tDrain = now()
  while (counts.delivered < counts.expected && now() - tDrain < drainMaxMs) await sleep(50)
  const drainMs = now() - tDrain
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
  const incomplete = [...sent.values()].filter((m) => m.got < m.room.clients.length - 1).length
  // the slowest fan-outs, with their send time: to line up with the server's log
  const slowest = [...sent.values()].filter((m) => m.measured).sort((a, b) => b.worst - a.worst).slice(0, 10)
    .map((m) => ({ sentAt: new Date(wallMeasure + (m.t - tMeasure)).toISOString(), firstMs: Math.round(m.first * 100) / 100, lastMs: Math.round(m.worst * 100) / 100, lastClient: m.worstClient, typistsPerRoom }))
  await run.closeAll(clients)

  const ms = (x) => Math.round(x * 1000) / 1000
  emit({
    event: 'result',
    mode: 'fanout',
    ok: counts.delivered === counts.expected && counts.duplicated === 0 && counts.outOfOrder === 0 && run.disconnects.length === 0,
    config: { rooms: rooms.length, clientsPerRoom, typistsPerRoom, rate, awareness: cfg.awareness ?? 'presence', warmupS: warmupMs / 1000, measureS: measureMs / 1000, protocol: cfg.protocol || 'y-websocket' },
    connectMs: Math.round(connectMs),
    measuredMs: Math.round(measuredMs),
    drainMs: Math.round(drainMs),
    editsPerSecond: ms(counts.sentMeasured / (measuredMs / 1000)),
    latencyMs: percentiles(latencies),
    delivery: {
      sent: counts.sent,
      sentMeasured: counts.sentMeasured,
      expected: counts.expected,
      delivered: counts.delivered,
      lost: counts.expected - counts.delivered,
      markersIncomplete: incomplete,
      duplicated: counts.duplicated,
      outOfOrder: counts.outOfOrder,
      selfEcho: counts.selfEcho,
      viaSync: counts.viaSync,
      unknown: counts.unknown + counts.crossRoom
    },
    converged,
    slowest,
    lateByClient,
    framesReceived: frames,
    bytesReceived: bytes,
    generator: {
      cpuUserS: ms(cpu.user / 1e6),
      cpuSystemS: ms(cpu.system / 1e6),
      loopDelayMs: { p50: ms(loop.percentile(50) / 1e6), p99: ms(loop.percentile(99) / 1e6), max: ms(loop.max / 1e6) },
      sendLagMs: percentiles(sendLag)
    },
    disconnects: run.disconnects.slice(0, 20),
    errors: run.errors.slice(0, 20)
  })
}

// ---------------------------------------------------------------- mode: build

/** One client writes `inserts` single-character edits then `deletes` single-character
 *  deletions, each its own transaction and its own update frame, through the server. */
async function build (cfg) {
  const run = new Run(cfg)
  const room = { name: cfg.room, index: 0, clients: [] }
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
  const fresh = new Client(run, room, 1, 1)
  await fresh.connect()
  const ok = fresh.doc.getText('body').toString() === text.toString()
  await run.closeAll([writer, fresh])
  emit({
    event: 'result',
    mode: 'build',
    ok,
    pattern,
    inserts,
    deletes,
    updatesSent: inserts + deletes,
    textLength: text.length,
    buildMs: Math.round(buildMs),
    fullStateBytes: Y.encodeStateAsUpdate(writer.doc).length,
    errors: run.errors.slice(0, 20),
    disconnects: run.disconnects.slice(0, 20)
  })
}

// ---------------------------------------------------------------- mode: join

/** A raw fresh client: connect, send step 1 on open, time the step 2 that answers it. */
function freshJoin (run, room, token) {
  return new Promise((resolve, reject) => {
    const proto = run.proto
    const tConnect = now()
    let tStep1 = 0
    let tOpen = 0
    let tServerStep1 = 0
    const ws = new WebSocket(proto.url(run.cfg.urlTemplate, room, token), { perMessageDeflate: false })
    ws.binaryType = 'nodebuffer'
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('join timed out')) }, 30000)
    ws.on('open', () => {
      for (const frame of proto.handshake(null)) ws.send(frame)
      tOpen = tStep1 = now()
      ws.send(proto.wrap(room, syncMsg(SYNC_STEP1, EMPTY_SV)))
    })
    ws.on('message', (frame) => {
      const t = now()
      const off = proto.unwrap(room, frame)
      if (off < 0 || frame[off] !== MSG_SYNC) return
      if (frame[off + 1] === SYNC_STEP1) {
        tServerStep1 = t // the server sends its step 1 once the socket has joined the room
        ws.send(proto.wrap(room, syncMsg(SYNC_STEP2, EMPTY_UPDATE)))
      } else if (frame[off + 1] === SYNC_STEP2) {
        clearTimeout(timer)
        const [len, start] = readVarUint(frame, off + 2)
        const update = frame.subarray(start, start + len)
        const doc = new Y.Doc()
        const tApply = now()
        Y.applyUpdate(doc, update)
        const applyMs = now() - tApply
        const textLength = doc.getText('body').length
        ws.close(1000)
        ws.on('close', () => resolve({
          step1ToStep2Ms: t - tStep1,
          connectToStep2Ms: t - tConnect,
          // split of step1ToStep2Ms: open -> the server's own step 1 (find the document,
          // load it if needed, join), then that -> step 2 (answer the state vector)
          openToServerStep1Ms: tServerStep1 ? tServerStep1 - tOpen : null,
          serverStep1ToStep2Ms: tServerStep1 ? t - Math.max(tServerStep1, tStep1) : null,
          bytes: update.length,
          textLength,
          clientApplyMs: applyMs
        }))
      }
    })
    ws.on('error', (err) => { clearTimeout(timer); reject(err) })
  })
}

async function join (cfg) {
  const run = new Run(cfg)
  const room = { name: cfg.room, index: 0, clients: [] }
  const samples = cfg.samples ?? 10
  const round = (x) => Math.round(x * 1000) / 1000
  const summarize = (list) => ({
    step1ToStep2Ms: percentiles(list.map((s) => s.step1ToStep2Ms)),
    connectToStep2Ms: percentiles(list.map((s) => s.connectToStep2Ms)),
    openToServerStep1Ms: percentiles(list.map((s) => s.openToServerStep1Ms ?? NaN)),
    serverStep1ToStep2Ms: percentiles(list.map((s) => s.serverStep1ToStep2Ms ?? NaN)),
    bytes: list.length ? list[list.length - 1].bytes : null,
    textLength: list.length ? list[list.length - 1].textLength : null,
    clientApplyMs: percentiles(list.map((s) => s.clientApplyMs))
  })

  // 0. optionally warm the server process up on another document first, so that "cold"
  //    below measures loading this document, not the process's first connection
  run.nextToken() // tokens[0] is the editor's (below)
  const joinToken = run.nextToken() // tokens[1]: every fresh client
  const warmup = cfg.warmRoom ? await freshJoin(run, cfg.warmRoom, joinToken) : null
  // 1. cold: the first client of this document since the server started (it is loaded)
  const cold = await freshJoin(run, room.name, joinToken)
  emit({ event: 'cold', ...cold })
  const roundAll = (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]))
  if (cfg.coldOnly) {
    emit({ event: 'result', mode: 'join', ok: true, cold: roundAll(cold), errors: run.errors.slice(0, 20) })
    return
  }
  // 2. a member stays connected so that the room stays loaded
  run.tokensUsed = 0 // the editor takes tokens[0]
  const editor = new Client(run, room, 0, 0)
  await editor.connect()
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
  await run.closeAll([editor])
  emit({
    event: 'result',
    mode: 'join',
    ok: run.disconnects.length === 0,
    cold: roundAll(cold),
    warmup: warmup && roundAll(warmup),
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
