// A real Yjs peer (yjs + y-websocket from npm) for the comment-anchor tests
// (tests/test_comments.py): it makes relative positions the way the browser app does,
// edits the article, and resolves positions with Yjs itself.
//
// argv[2]: JSON {url, document, token, label}. stdout: one JSON event per line.
// stdin: one JSON command per line; each answer carries the command's `id`.
//   {cmd: "anchor", find, occurrence?}   -> {start, end, quote} (base64 relative positions
//                                            around the occurrence of `find`, as editor.js)
//   {cmd: "anchor_at", index, end}       -> {start, end} around UTF-16 [index, end)
//   {cmd: "insert", text, before?|after?|index?}
//   {cmd: "delete", find}                 delete the first occurrence of `find`
//   {cmd: "format", find, attributes}     format the first occurrence of `find`
//   {cmd: "every_id"}                     -> {positions: [{position, index}]}: a position
//                                            at every clock of every client, resolved by Yjs
//   {cmd: "resolve", start, end}          -> {index, length, text, detached}
//   {cmd: "text"}                         -> {text}
//   {cmd: "exit"}
import WebSocket from 'ws'
import readline from 'node:readline'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const config = JSON.parse(process.argv[2])
const emit = (event) => process.stdout.write(JSON.stringify({ label: config.label, ...event }) + '\n')
const doc = new Y.Doc()
const text = doc.getText('body')
const provider = new WebsocketProvider(config.url, config.document, doc, {
  params: config.token ? { token: config.token } : {},
  WebSocketPolyfill: WebSocket,
  disableBc: true,
})
provider.on('sync', (synced) => { if (synced) emit({ event: 'synced', text: text.toString() }) })

const b64 = (bytes) => Buffer.from(bytes).toString('base64')
const unb64 = (value) => new Uint8Array(Buffer.from(value, 'base64'))

function find (needle, occurrence = 0) {
  const haystack = text.toString()
  let at = -1
  for (let i = 0; i <= occurrence; i++) {
    at = haystack.indexOf(needle, at + 1)
    if (at < 0) throw new Error(`not found: ${JSON.stringify(needle)}`)
  }
  return at
}

// The passage [index, index + length): the start sticks to its first character, the end
// to its last one (assoc -1), so that text typed just outside is not drawn in.
function anchor (index, length) {
  const start = Y.createRelativePositionFromTypeIndex(text, index, 0)
  const end = Y.createRelativePositionFromTypeIndex(text, index + length, -1)
  return { start: b64(Y.encodeRelativePosition(start)), end: b64(Y.encodeRelativePosition(end)) }
}

function resolve (start, end) {
  const a = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(unb64(start)), doc)
  const b = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(unb64(end)), doc)
  if (a === null || b === null) return { index: null, length: null, text: '', detached: false }
  const length = Math.max(0, b.index - a.index)
  return { index: a.index, length, text: text.toString().slice(a.index, a.index + length), detached: length === 0 }
}

function run (command) {
  if (command.cmd === 'anchor') {
    const index = find(command.find, command.occurrence)
    return { ...anchor(index, command.find.length), quote: command.find }
  }
  if (command.cmd === 'anchor_at') return anchor(command.index, command.end - command.index)
  if (command.cmd === 'insert') {
    let index = command.index ?? text.length
    if (command.before !== undefined) index = find(command.before)
    if (command.after !== undefined) index = find(command.after) + command.after.length
    text.insert(index, command.text)
    return { text: text.toString() }
  }
  if (command.cmd === 'delete') {
    text.delete(find(command.find), command.find.length)
    return { text: text.toString() }
  }
  if (command.cmd === 'format') {
    text.format(find(command.find), command.find.length, command.attributes)
    return { text: text.toString() }
  }
  if (command.cmd === 'every_id') {
    // A position at every clock of every client (formatting marks and deleted text too),
    // both associations, with where Yjs resolves it.
    const positions = []
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
      for (let at = 0; at <= clock; at++) {
        for (const assoc of [0, -1]) {
          const rp = Y.createRelativePositionFromJSON({ type: null, tname: null, item: { client, clock: at }, assoc })
          const bytes = Y.encodeRelativePosition(rp)
          const found = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(bytes), doc)
          positions.push({ position: b64(bytes), index: found ? found.index : null })
        }
      }
    }
    return { positions }
  }
  if (command.cmd === 'resolve') return resolve(command.start, command.end)
  if (command.cmd === 'text') return { text: text.toString() }
  if (command.cmd === 'exit') {
    provider.destroy()
    doc.destroy()
    setTimeout(() => process.exit(0), 50)
    return {}
  }
  throw new Error(`unknown command ${command.cmd}`)
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line)
  try {
    emit({ event: 'answer', id: command.id, ...run(command) })
  } catch (error) {
    emit({ event: 'answer', id: command.id, error: String(error.message || error) })
  }
})
