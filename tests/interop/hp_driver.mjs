// A real @hocuspocus/provider client driven over stdin/stdout by the Python tests.
// argv[2]: JSON {url, docs: [{name, token}]}. All documents share ONE socket.
// stdout: one JSON event per line. stdin: one JSON command per line.
// Events: authenticated denied synced unsynced stateless close text state syncStatus
// ({doc, applied}: the server's answer to an update or sync step 2) status ({doc: null,
// status}: the socket's). Commands: insert ({silent: true}: a local edit not sent, as made
// offline) format stateless state disconnect connect exit.
import * as Y from 'yjs'
import WebSocket from 'ws'
import readline from 'node:readline'
import * as decoding from 'lib0/decoding'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'

const plan = JSON.parse(process.argv[2])
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n')
const socket = new HocuspocusProviderWebsocket({ url: plan.url, WebSocketPolyfill: WebSocket })
const providers = new Map()
// Socket-level events carry doc: null (every event has a doc key).
socket.on('status', ({ status }) => emit({ event: 'status', doc: null, status }))

// SyncStatus (type 8) answers each update or sync step 2: applied (1) or refused (0).
const syncStatusOf = (data) => {
  const decoder = decoding.createDecoder(new Uint8Array(data))
  decoding.readVarString(decoder)
  if (decoding.readVarUint(decoder) !== 8) return null
  return decoding.readVarInt(decoder) === 1
}

for (const { name, token } of plan.docs) {
  const doc = new Y.Doc()
  const text = doc.getText('body')
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name,
    document: doc,
    token: token ?? '',
    onAuthenticated: ({ scope }) => emit({ event: 'authenticated', doc: name, scope }),
    onAuthenticationFailed: ({ reason }) => emit({ event: 'denied', doc: name, reason }),
    onSynced: () => emit({ event: 'synced', doc: name, text: text.toString() }),
    onUnsyncedChanges: ({ number }) => emit({ event: 'unsynced', doc: name, count: number }),
    onStateless: ({ payload }) => emit({ event: 'stateless', doc: name, payload }),
    onClose: ({ event }) => emit({ event: 'close', doc: name, code: event?.code ?? null }),
    onMessage: ({ event }) => {
      const applied = syncStatusOf(event.data)
      if (applied !== null) emit({ event: 'syncStatus', doc: name, applied })
    },
  })
  provider.attach()
  text.observe(() => emit({ event: 'text', doc: name, text: text.toString() }))
  providers.set(name, { provider, doc, text })
}

const commands = readline.createInterface({ input: process.stdin })
commands.on('line', (line) => {
  const command = JSON.parse(line)
  const entry = providers.get(command.doc)
  if (command.cmd === 'insert' && command.silent) {
    // A local edit the provider does not send as an update (origin = the provider), as
    // after an offline session: it reaches the server only as sync step 2 on reconnect.
    entry.doc.transact(() => {
      entry.text.insert(command.index ?? entry.text.length, command.text, command.attributes)
    }, entry.provider)
  } else if (command.cmd === 'insert') {
    entry.text.insert(command.index ?? entry.text.length, command.text, command.attributes)
  } else if (command.cmd === 'format') {
    entry.text.format(command.index, command.length, command.attributes)
  } else if (command.cmd === 'stateless') {
    entry.provider.sendStateless(command.payload)
  } else if (command.cmd === 'state') {
    emit({ event: 'state', doc: command.doc, text: entry.text.toString(),
           unsynced: entry.provider.unsyncedChanges, hasUnsynced: entry.provider.hasUnsyncedChanges })
  } else if (command.cmd === 'disconnect') {
    socket.disconnect()
  } else if (command.cmd === 'connect') {
    socket.connect()
  } else if (command.cmd === 'exit') {
    for (const { provider } of providers.values()) provider.destroy()
    socket.destroy()
    emit({ event: 'bye' })
    setTimeout(() => process.exit(0), 50)
  }
})
