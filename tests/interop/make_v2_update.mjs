// Prints a Yjs v2 update (and the v1 update of the same change) as JSON hex, made by the
// real yjs package: `node make_v2_update.mjs <clientID> <text>` inserts <text> at the
// start of the root Y.Text "body" of a new document.
import * as Y from 'yjs'

const [clientID, text] = process.argv.slice(2)
const doc = new Y.Doc()
doc.clientID = Number(clientID)
doc.getText('body').insert(0, text)
const hex = (bytes) => Buffer.from(bytes).toString('hex')
console.log(JSON.stringify({
  v2: hex(Y.encodeStateAsUpdateV2(doc)),
  v1: hex(Y.encodeStateAsUpdate(doc)),
}))
