// A real @hocuspocus/provider client driven over stdin/stdout by the Python tests.
// argv[2]: JSON {url, docs: [{name, token}]}. All documents share ONE socket.
// stdout: one JSON event per line. stdin: one JSON command per line.
import * as Y from 'yjs'
import WebSocket from 'ws'
import readline from 'node:readline'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'

const plan = JSON.parse(process.argv[2])
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n')
const socket = new HocuspocusProviderWebsocket({ url: plan.url, WebSocketPolyfill: WebSocket })
const providers = new Map()

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
  })
  provider.attach()
  text.observe(() => emit({ event: 'text', doc: name, text: text.toString() }))
  providers.set(name, { provider, doc, text })
}

const commands = readline.createInterface({ input: process.stdin })
commands.on('line', (line) => {
  const command = JSON.parse(line)
  const entry = providers.get(command.doc)
  if (command.cmd === 'insert') {
    entry.text.insert(command.index ?? entry.text.length, command.text, command.attributes)
  } else if (command.cmd === 'format') {
    entry.text.format(command.index, command.length, command.attributes)
  } else if (command.cmd === 'stateless') {
    entry.provider.sendStateless(command.payload)
  } else if (command.cmd === 'state') {
    emit({ event: 'state', doc: command.doc, text: entry.text.toString(),
           unsynced: entry.provider.unsyncedChanges, hasUnsynced: entry.provider.hasUnsyncedChanges })
  } else if (command.cmd === 'exit') {
    for (const { provider } of providers.values()) provider.destroy()
    socket.destroy()
    emit({ event: 'bye' })
    setTimeout(() => process.exit(0), 50)
  }
})
