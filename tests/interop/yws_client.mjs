// A real y-websocket client (yjs + y-websocket from npm), driven by tests/test_interop_yjs.py.
//
// Usage: node yws_client.mjs '<json>' where <json> is
//   {
//     "url": "ws://127.0.0.1:PORT/ws",  server URL; y-websocket appends "/" + document
//     "document": "charters/slug/articles/key",
//     "params": {"token": "…"},          URL query parameters (y-websocket `params`)
//     "label": "js-a",                   echoed in every output line
//     "timeoutMs": 20000,                give up (exit 3) after this long
//     "waitForGo": false,                after sync, go offline and print {"event":"synced"};
//                                        when a line "go" arrives on stdin, apply the edits
//                                        offline, print {"event":"edited"} and reconnect (so
//                                        clients told "go" together edit concurrently: none
//                                        can see another's edit before making its own)
//     "insert": {"text": "…", "at": "start" | "end" | <UTF-16 index> | {"after": "…"}},
//     "format": [{"find": "…", "attributes": {"bold": true}}],   Y.Text.format on a substring
//     "expect": ["…"],                   wait until the text contains every one of these
//     "expectClose": false,              the server should close the socket for good: report
//                                        the close. Syncing is then an error, unless there
//                                        are edits to apply (a write the server refuses)
//     "quietMs": 1000,                   with expectClose: how long to watch for a reconnect
//     "maxBackoffMs": 100                WebsocketProvider maxBackoffTime
//   }
//
// Output: one JSON object per line on stdout.
//   {"event":"synced", label, text}                              (waitForGo only)
//   {"event":"edited", label, before}                            (waitForGo only)
//   {"event":"done", label, clientID, before, text, delta}       exit 0
//   {"event":"closed", label, code, reason, closeCodes, connects, reconnectsAfterClose,
//    shouldConnect, synced, text}                                exit 0
//   {"event":"error" | "timeout", label, message, text, closeCodes, connects}   exit 1 | 3
// Whatever happens, the provider is destroyed before the process exits.

import readline from 'node:readline'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const config = JSON.parse(process.argv[2] ?? '{}')
const label = config.label ?? 'js'
const timeoutMs = config.timeoutMs ?? 20000
const expect = config.expect ?? []

const doc = new Y.Doc()
const ytext = doc.getText('body')
const provider = new WebsocketProvider(config.url, config.document, doc, {
  params: config.params ?? {},
  WebSocketPolyfill: WebSocket,
  connect: false, // connected at the end, once every listener is in place
  disableBc: true,
  maxBackoffTime: config.maxBackoffMs ?? 100
})

let finished = false
const closeCodes = []
let connects = 0

const emit = (obj) => process.stdout.write(JSON.stringify({ label, ...obj }) + '\n')

const finish = (obj, exitCode) => {
  if (finished) return
  finished = true
  clearTimeout(deadline)
  if (observing) ytext.unobserve(check)
  emit(obj)
  provider.destroy()
  doc.destroy()
  process.exitCode = exitCode
  // The provider's socket closes with a handshake; do not let a stuck close keep us alive.
  setTimeout(() => process.exit(exitCode), 3000).unref()
}

const fail = (message, exitCode = 1) => {
  process.stderr.write(`[${label}] ${message}\n`)
  finish({
    event: exitCode === 3 ? 'timeout' : 'error',
    message,
    text: ytext.toString(),
    closeCodes,
    connects
  }, exitCode)
}

const deadline = setTimeout(() => {
  const missing = expect.filter((s) => !ytext.toString().includes(s))
  fail(`timed out after ${timeoutMs} ms; missing ${JSON.stringify(missing)}`, 3)
}, timeoutMs)

provider.on('status', ({ status }) => {
  if (status === 'connecting') connects++
})
provider.on('connection-close', (event) => {
  closeCodes.push(event === null ? null : event.code)
})
provider.on('connection-error', (event) => {
  process.stderr.write(`[${label}] connection error: ${event?.message ?? event}\n`)
})

function indexFor (at) {
  const text = ytext.toString()
  if (at === undefined || at === 'end') return ytext.length
  if (at === 'start') return 0
  if (typeof at === 'number') return at
  if (typeof at === 'object' && typeof at.after === 'string') {
    const found = text.indexOf(at.after)
    if (found < 0) throw new Error(`insert anchor not found: ${JSON.stringify(at.after)}`)
    return found + at.after.length
  }
  throw new Error(`bad insert position: ${JSON.stringify(at)}`)
}

let before = null
let observing = false

function check () {
  if (finished || before === null || config.expectClose) return
  const text = ytext.toString()
  if (expect.every((s) => text.includes(s))) {
    finish({
      event: 'done',
      clientID: doc.clientID,
      before,
      text,
      delta: ytext.toDelta()
    }, 0)
  }
}

function edit () {
  before = ytext.toString()
  try {
    if (config.insert) {
      ytext.insert(indexFor(config.insert.at), config.insert.text)
    }
    for (const { find, attributes } of config.format ?? []) {
      const index = ytext.toString().indexOf(find)
      if (index < 0) throw new Error(`format target not found: ${JSON.stringify(find)}`)
      ytext.format(index, find.length, attributes)
    }
  } catch (err) {
    fail(err.message)
    return
  }
  ytext.observe(check)
  observing = true
  check()
}

function waitForGo () {
  provider.disconnect()
  emit({ event: 'synced', text: ytext.toString() })
  const lines = readline.createInterface({ input: process.stdin })
  let go = false
  lines.on('line', (line) => {
    if (go || line.trim() !== 'go') return
    go = true
    edit()
    if (!finished) emit({ event: 'edited', before })
    provider.connect()
    lines.close()
    process.stdin.destroy()
  })
  lines.on('close', () => {
    if (!go) fail('stdin closed before "go"')
  })
}

let synced = false
provider.on('sync', (state) => {
  if (!state || synced) return
  synced = true
  if (config.expectClose && !config.insert && !config.format) {
    fail('synced, but the server was expected to close the connection')
  } else if (config.waitForGo) {
    waitForGo()
  } else {
    edit()
  }
})

provider.on('closed', ({ code, reason }) => {
  if (!config.expectClose) {
    fail(`the server closed the connection for good: ${code} ${reason}`)
    return
  }
  // y-websocket has scheduled its (no-op) reconnect timer already, at most maxBackoffMs away.
  // Watch for a while longer: a client that still reconnects would emit status "connecting".
  const connectsAtClose = connects
  setTimeout(() => {
    if (finished) return
    finish({
      event: 'closed',
      code,
      reason,
      closeCodes,
      connects,
      reconnectsAfterClose: connects - connectsAtClose,
      shouldConnect: provider.shouldConnect,
      synced,
      text: ytext.toString()
    }, 0)
  }, config.quietMs ?? 1000)
})

provider.connect()
