#!/usr/bin/env node
// What the soak's typists hold in the load generator: the soak's edits (a marker inserted
// at a random place; past 4,000 characters as many deleted, as a workshop rewrites its
// text) written alternately by the two typists of one room into two Yjs documents that
// exchange their updates, as they do through the server. Prints the heap they take, and
// the time the last 1,000 edits took each (it grows with the deleted items each index walks).
//
//   node --expose-gc bench/yjs_memory.mjs [edits]     (default 36000: 30 minutes of one room)

import * as Y from 'yjs'

if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc')
const edits = Number(process.argv[2] || 36000)
const docs = [new Y.Doc(), new Y.Doc()]
docs[0].on('update', (u, origin) => { if (origin !== 'remote') Y.applyUpdate(docs[1], u, 'remote') })
docs[1].on('update', (u, origin) => { if (origin !== 'remote') Y.applyUpdate(docs[0], u, 'remote') })
let seed = 1
const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647

global.gc()
const before = process.memoryUsage().heapUsed
let lastStart = 0
for (let i = 0; i < edits; i++) {
  if (i === edits - 1000) lastStart = performance.now()
  const text = docs[i % 2].getText('body')
  const marker = `[m${i % 2}:${i}] `
  const pos = Math.floor(rand() * (text.length + 1))
  docs[i % 2].transact(() => {
    text.insert(pos, marker)
    if (text.length > 4000) {
      const at = pos + marker.length + Math.floor(rand() * Math.max(1, text.length - pos - 2 * marker.length))
      if (at + marker.length <= text.length) text.delete(at, marker.length)
    }
  })
}
const lastMs = (performance.now() - lastStart) / Math.min(1000, edits)
global.gc()
const heap = process.memoryUsage().heapUsed - before
console.log(JSON.stringify({
  edits,
  heapMB: Math.round(heap / 1e5) / 10,
  bytesPerEditPerDocument: Math.round(heap / edits / 2),
  msPerEditAtEnd: Math.round(lastMs * 1000) / 1000,
  stateBytes: Y.encodeStateAsUpdate(docs[0]).length
}))
