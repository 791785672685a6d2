#!/usr/bin/env node
// @hocuspocus/server 4.x with its defaults and no extension: no persistence (a document lives
// in memory while a client is connected and is unloaded when the last one leaves), no
// authentication hook (every Auth message is answered "read-write"), updates acknowledged
// with SyncStatus right after they are applied in memory.
// run.py copies this file next to the peers' node_modules (bench/.peers/node) and starts it.
//   node hocuspocus-server.mjs --port 0   prints "... (port N)"
import { Server } from '@hocuspocus/server'

const portArg = process.argv.indexOf('--port')
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0
const server = new Server({ port, address: '127.0.0.1', quiet: true, stopOnSignals: true })
await server.listen()
console.log(`Hocuspocus server on ws://127.0.0.1:${server.address.port}  (port ${server.address.port})`)
