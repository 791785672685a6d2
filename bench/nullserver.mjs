#!/usr/bin/env node
// A y-websocket "null server" to calibrate the harness: no CRDT, no storage. It answers a
// sync step 1 with an empty step 2, relays every update to the other sockets of the same
// room (never back to the sender) and every awareness message to all of them. Whatever
// latency the generator measures against it is the floor set by the generator, Node, the
// kernel and the shared CPUs, not by a server.
//
//   node nullserver.mjs [--port 0]     prints "Null server on ws://127.0.0.1:PORT  (port PORT)"
//   rooms: ws://127.0.0.1:PORT/ws/<any name>

import { WebSocketServer } from 'ws'

const portArg = process.argv.indexOf('--port')
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0
const rooms = new Map() // name -> Set of sockets
const EMPTY_STEP2 = Buffer.from([0, 1, 2, 0, 0])
const EMPTY_STEP1 = Buffer.from([0, 0, 1, 0])

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
  ws.send(EMPTY_STEP1)
  ws.on('message', (frame, isBinary) => {
    if (!isBinary || frame.length < 2) return
    if (frame[0] === 0 && frame[1] === 0) {
      ws.send(EMPTY_STEP2) // the server holds nothing
    } else if (frame[0] === 0 && frame[1] === 2) {
      for (const other of room) if (other !== ws) other.send(frame)
    } else if (frame[0] === 1) {
      for (const other of room) other.send(frame)
    }
  })
  ws.on('close', () => {
    room.delete(ws)
    if (room.size === 0) rooms.delete(name)
  })
})
const stop = () => wss.close(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
