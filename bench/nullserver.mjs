#!/usr/bin/env node
// A y-websocket "null server" to calibrate the harness: no CRDT, no storage. It answers a
// sync step 1 with an empty step 2, relays every update to the other sockets of the same
// room (never back to the sender) and every awareness message to all of them. Whatever
// latency the generator measures against it is the floor set by the generator, Node, the
// kernel and the shared CPUs, not by a server.
//
//   node nullserver.mjs [--port 0]     prints "Null server on ws://127.0.0.1:PORT  (port PORT)"
//   rooms: ws://127.0.0.1:PORT/ws/<any name>
//
// `--faults N` checks the generator's own accounting: of every N updates relayed from one
// socket to another, the first goes out twice, the second never, and the third after the
// next one from the same socket (its typist's order broken). On SIGTERM the server prints
// what it did as one JSON line: {"faults": {"duplicated", "dropped", "swapped", "heldAtEnd"}};
// the generator must report as many duplicated, reordered and lost (dropped + held) copies.

import { WebSocketServer } from 'ws'

const portArg = process.argv.indexOf('--port')
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0
const faultsArg = process.argv.indexOf('--faults')
const every = faultsArg > 0 ? Number(process.argv[faultsArg + 1]) : 0
if (faultsArg > 0 && !(Number.isInteger(every) && every >= 4)) throw new Error('--faults needs an integer >= 4')
const faults = { duplicated: 0, dropped: 0, swapped: 0, heldAtEnd: 0 }
const sockets = new Set()
const rooms = new Map() // name -> Set of sockets
const EMPTY_STEP2 = Buffer.from([0, 1, 2, 0, 0])
const EMPTY_STEP1 = Buffer.from([0, 0, 1, 0])

/** One update from `from` to `to`, with the faults of `--faults` when asked. */
function relay (from, to, frame) {
  if (!every) return to.send(frame)
  const k = (to.relayed.get(from) ?? 0) + 1
  to.relayed.set(from, k)
  const held = to.held.get(from)
  if (held) { // the frame held back goes after this one
    to.held.delete(from)
    to.send(frame)
    to.send(held)
    faults.swapped++
  } else if (k % every === 1) {
    to.send(frame)
    to.send(frame)
    faults.duplicated++
  } else if (k % every === 2) {
    faults.dropped++
  } else if (k % every === 3) {
    to.held.set(from, frame)
  } else {
    to.send(frame)
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false })
wss.on('listening', () => {
  const actual = wss.address().port
  console.log(`Null server on ws://127.0.0.1:${actual}  (port ${actual})`)
})
wss.on('connection', (ws, req) => {
  const name = req.url.split('?')[0]
  let room = rooms.get(name)
  if (!room) rooms.set(name, (room = new Set()))
  room.add(ws)
  sockets.add(ws)
  ws.relayed = new Map() // sender -> updates relayed from it to this socket
  ws.held = new Map() // sender -> the update held back
  ws.send(EMPTY_STEP1)
  ws.on('message', (frame, isBinary) => {
    if (!isBinary || frame.length < 2) return
    if (frame[0] === 0 && frame[1] === 0) {
      ws.send(EMPTY_STEP2) // the server holds nothing
    } else if (frame[0] === 0 && frame[1] === 2) {
      for (const other of room) if (other !== ws) relay(ws, other, frame)
    } else if (frame[0] === 1) {
      for (const other of room) other.send(frame)
    }
  })
  ws.on('close', () => {
    sockets.delete(ws)
    faults.heldAtEnd += ws.held.size
    ws.held.clear()
    room.delete(ws)
    if (room.size === 0) rooms.delete(name)
  })
})
const stop = () => {
  if (every) {
    for (const ws of sockets) faults.heldAtEnd += ws.held.size
    console.log(JSON.stringify({ faults }))
  }
  wss.close(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
