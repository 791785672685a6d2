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

// -- drawing: the runs as CSS custom highlights over the page's text nodes (nothing is
// added to the text, so the editor and screen readers see the text as it is).

export function highlightsSupported() {
  return typeof CSS !== 'undefined' && 'highlights' in CSS && typeof Highlight === 'function'
}

/** Register the runs as highlights named by `shadeOf(origin)`, over `nodes` (from
 * `editorTextNodes` or `renderedTextNodes`); `drawn`: the names this page registered
 * before, cleared first (and refilled). */
export function paint(runs, nodes, shadeOf, drawn) {
  for (const name of drawn.splice(0)) CSS.highlights.delete(name)
  const byShade = new Map()
  for (const run of runs) {
    const name = shadeOf(run.origin)
    if (!byShade.has(name)) byShade.set(name, [])
    byShade.get(name).push(...domRanges(nodes, run.start, run.end))
  }
  for (const [name, ranges] of byShade) {
    CSS.highlights.set(name, new Highlight(...ranges))
    drawn.push(name)
  }
}

export function unpaint(drawn) {
  for (const name of drawn.splice(0)) CSS.highlights.delete(name)
}

/** A Quill editor's text nodes with the index of their first character, in order. Quill's
 * own caret guard (empty in the model) and list markers are not text. */
export function editorTextNodes(quill) {
  const found = []
  const Quill = quill.constructor
  const blocks = []
  for (const child of quill.root.children) {
    if (child.tagName === 'OL' || child.tagName === 'UL') blocks.push(...child.children)
    else blocks.push(child)
  }
  for (const block of blocks) {
    const blot = Quill.find(block)
    if (!blot) continue
    collect(block, quill.getIndex(blot), found, '.ql-ui, .ql-cursor')
  }
  return found
}

/** The same for text drawn by lib/render.js (each line's block carries `data-line`). */
export function renderedTextNodes(container, text) {
  const starts = [0]
  for (const line of text.split('\n')) starts.push(starts[starts.length - 1] + line.length + 1)
  const found = []
  for (const block of container.querySelectorAll('[data-line]')) {
    const start = starts[Number(block.dataset.line)]
    if (start !== undefined) collect(block, start, found, null)
  }
  return found
}

function collect(block, start, found, skip) {
  let index = start
  const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT, skip
    ? { acceptNode: (node) => (node.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT) }
    : null)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    found.push({ node, start: index })
    index += node.length
  }
}

function domRanges(nodes, start, end) {
  const ranges = []
  let lo = 0
  let hi = nodes.length - 1
  while (lo < hi) { // the last node starting at or before `start`
    const mid = (lo + hi + 1) >> 1
    if (nodes[mid].start <= start) lo = mid
    else hi = mid - 1
  }
  for (let i = lo; i < nodes.length && nodes[i].start < end; i++) {
    const { node, start: at } = nodes[i]
    const from = Math.max(start - at, 0)
    const to = Math.min(end - at, node.length)
    if (from >= to) continue
    const range = new Range()
    range.setStart(node, from)
    range.setEnd(node, to)
    ranges.push(range)
  }
  return ranges
}

/** The highlight of an origin: by person (their shade) or by badge. */
export function shadeOf(known, mode) {
  const badges = ['citizen', 'elected', 'organiser']
  return (origin) => {
    const person = known.people.get(origin.participant)
    if (mode === 'badge') return `who-${badges.includes(person?.badge) ? person.badge : 'none'}`
    return person ? `who-p${person.shade}` : 'who-unknown'
  }
}
