#!/usr/bin/env node
// The reference y-websocket server (@y/websocket-server, with yjs 13) as its own bin/server.js
// runs it, minus the HTTP "okay" page: setupWSConnection on every socket, no persistence
// (YPERSISTENCE is never set, so documents live in memory while a client is connected).
// run.py copies this file next to the peers' node_modules (bench/.peers/node) and starts it.
//   node yws-server.mjs --port 0   prints "... (port N)"
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { setupWSConnection } from '@y/websocket-server/utils'

const portArg = process.argv.indexOf('--port')
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0
delete process.env.YPERSISTENCE
const wss = new WebSocketServer({ noServer: true })
wss.on('connection', setupWSConnection)
const server = http.createServer((_req, res) => { res.writeHead(200); res.end('okay') })
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
})
server.listen(port, '127.0.0.1', () => {
  console.log(`y-websocket server on ws://127.0.0.1:${server.address().port}  (port ${server.address().port})`)
})
const stop = () => { server.close(); process.exit(0) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
