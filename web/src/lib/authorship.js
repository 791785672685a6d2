// Who wrote which characters of a Yjs text, live: every character is (part of) an item
// whose id names the Yjs client that typed it; the server says whose each client is, and
// which ranges of a client's characters a restored version gave back to older authors
// (GET …/articles/{key}/authors). Positions are the text's indices, as Quill counts them.

const UNKNOWN = Object.freeze({ participant: null, amendment: null })

/** The authorship the server sent, ready to look characters up. `mine`: the client ids of
 * this page's own documents, and the participant they write for. */
export function authorship(data, mine = { clients: [], participant: null }) {
  const clients = new Map()
  for (const [client, origin] of Object.entries(data.clients || {})) clients.set(Number(client), origin)
  for (const client of mine.clients) {
    if (!clients.has(client)) clients.set(client, { participant: mine.participant, amendment: null })
  }
  const ranges = new Map() // client → [{start, end, origin}], oldest first (latest wins)
  for (const r of data.ranges || []) {
    if (!ranges.has(r.client)) ranges.set(r.client, [])
    ranges.get(r.client).push({ start: r.start, end: r.end, origin: { participant: r.participant, amendment: r.amendment } })
  }
  return { clients, ranges, people: new Map((data.people || []).map((p) => [p.id, p])) }
}

/** The pieces [from, to) of an item of `client` with clocks [clock, clock + length), each
 * with its origin: the client's own, painted over by the ranges that cover some of it. */
function segments(known, client, clock, length) {
  const own = known.clients.get(client) || UNKNOWN
  const pieces = [{ from: 0, to: length, origin: own }]
  for (const r of known.ranges.get(client) || []) {
    const from = Math.max(r.start - clock, 0)
    const to = Math.min(r.end - clock, length)
    if (from >= to) continue
    for (let i = pieces.length - 1; i >= 0; i--) {
      const p = pieces[i]
      if (p.to <= from || p.from >= to) continue
      const parts = []
      if (p.from < from) parts.push({ from: p.from, to: from, origin: p.origin })
      if (p.to > to) parts.push({ from: to, to: p.to, origin: p.origin })
      pieces.splice(i, 1, ...parts)
    }
    pieces.push({ from, to, origin: r.origin })
    pieces.sort((a, b) => a.from - b.from)
  }
  return pieces
}

/** The text as runs `{start, end, origin}` of one origin each; `unknownClients` collects
 * the clients nobody has said anything of yet (someone new typing: ask the server again). */
export function runsOf(ytext, known, unknownClients = new Set()) {
  const runs = []
  let index = 0
  for (let item = ytext._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue
    const { client, clock } = item.id
    if (!known.clients.has(client) && !known.ranges.has(client)) unknownClients.add(client)
    for (const piece of segments(known, client, clock, item.length)) {
      const start = index + piece.from
      const end = index + piece.to
      const last = runs[runs.length - 1]
      if (last && last.end === start && same(last.origin, piece.origin)) last.end = end
      else runs.push({ start, end, origin: piece.origin })
    }
    index += item.length
  }
  return runs
}

function same(a, b) {
  return a.participant === b.participant && a.amendment === b.amendment
}
