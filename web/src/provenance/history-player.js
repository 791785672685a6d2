// The drafting history played back: a slider over the article's steps (a minute of writing
// each, and one at every saved version), play and pause, the saved versions as places to
// jump to, who wrote each step, and the text as it read then. The same history is a page
// without JavaScript (/charters/{slug}/articles/{key}/history), linked from here.
import { api, charterPath, errorText } from '../lib/api.js'
import { formatDate } from '../lib/dates.js'
import { announce, h, fill } from '../lib/dom.js'
import { diffView } from '../lib/diff-view.js'
import { t } from '../lib/i18n.js'
import { renderText } from '../lib/render.js'

const PLAY_MS = 900 // one step shown this long while playing

export function historyPlayer({ slug, key, language, me }) {
  const state = { steps: [], marks: [], index: 0, timer: null, texts: new Map(), asked: 0 }
  const base = `${charterPath(slug)}/articles/${encodeURIComponent(key)}/history`
  const slider = h('input', { type: 'range', min: 1, max: 1, value: 1, id: `history-${key}`, disabled: true })
  const play = h('button', { type: 'button', class: 'secondary history-play', 'aria-pressed': 'false', disabled: true }, t('history_play'))
  const where = h('p', { class: 'history-where', 'aria-live': 'polite' })
  const marks = h('ul', { class: 'history-marks', 'aria-label': t('history_marks') })
  const text = h('div', { class: 'history-text', lang: language })
  const page = h('a', { href: `/charters/${encodeURIComponent(slug)}/articles/${encodeURIComponent(key)}/history` }, t('history_page'))
  const el = h('details', { class: 'history-player' },
    h('summary', null, t('history_title_short')),
    h('p', { class: 'hint' }, t('history_hint'), ' ', page),
    h('p', { class: 'history-controls' },
      h('label', { for: slider.id }, t('history_step_label')), slider, play),
    where, marks, text)

  // -- for facilitators: revert one person's edits since the step shown (vandalism)
  const person = h('select', { id: `revert-person-${key}` })
  const reason = h('input', { type: 'text', id: `revert-reason-${key}`, maxlength: 500, autocomplete: 'off' })
  const preview = h('div', { class: 'revert-preview', role: 'status' })
  const look = h('button', { type: 'button', class: 'secondary' }, t('revert_preview'))
  const apply = h('button', { type: 'button', hidden: true }, t('revert_apply'))
  const revertBox = h('div', { class: 'revert-box', hidden: true },
    h('h3', null, t('revert_title')),
    h('p', { class: 'hint' }, t('revert_hint')),
    h('p', null, h('label', { for: person.id }, t('revert_person')), ' ', person),
    h('p', null, look),
    preview,
    h('p', null, h('label', { for: reason.id }, t('revert_reason')), ' ', reason),
    h('p', null, apply))
  el.append(revertBox)
  let planned = null

  look.addEventListener('click', async () => {
    apply.hidden = true
    planned = null
    const step = state.steps[state.index]
    if (!step || !person.value) return
    try {
      const found = await api('GET', `${charterPath(slug)}/articles/${encodeURIComponent(key)}/revert?participant=${person.value}&since=${step.position}`)
      fill(preview,
        h('p', null, found.changes
          ? t('revert_summary', { removed: found.words_removed, restored: found.words_restored })
          : t('revert_nothing')),
        found.changes ? diffView(found.hunks, { language }) : null)
      if (found.changes) {
        planned = { participant: Number(person.value), since: step.position }
        apply.hidden = false
      }
    } catch (error) {
      fill(preview, errorText(error))
    }
  })
  apply.addEventListener('click', async () => {
    if (!planned) return
    try {
      await api('POST', `${charterPath(slug)}/articles/${encodeURIComponent(key)}/revert`, { ...planned, reason: reason.value })
      fill(preview, t('revert_done'))
      announce(t('revert_done'))
      apply.hidden = true
      planned = null
      reason.value = ''
      state.texts.clear()
      load()
    } catch (error) {
      fill(preview, errorText(error))
      reason.setAttribute('aria-invalid', 'true')
    }
  })

  async function loadPeople() {
    if (me()?.role !== 'facilitator') return
    try {
      const found = (await api('GET', `${charterPath(slug)}/participants`)).participants
      fill(person, h('option', { value: '' }, t('revert_choose')),
        found.map((p) => h('option', { value: String(p.id) }, p.name)))
      revertBox.hidden = false
    } catch {
      revertBox.hidden = true
    }
  }

  el.addEventListener('toggle', () => {
    if (el.open) { load(); loadPeople() } else stop()
  })
  slider.addEventListener('input', () => { stop(); show(Number(slider.value) - 1) })
  play.addEventListener('click', () => (state.timer === null ? start() : stop()))

  async function load() {
    try {
      const found = await api('GET', base)
      state.steps = found.steps
      state.marks = found.marks
    } catch (error) {
      where.textContent = errorText(error)
      return
    }
    const n = state.steps.length
    slider.max = String(Math.max(1, n))
    slider.disabled = play.disabled = n === 0
    fill(marks, state.marks.map((m) => {
      const index = state.steps.findIndex((s) => s.position === m.position)
      if (index < 0) return h('li', null, m.version.label)
      const go = h('button', { type: 'button', class: 'link-button' }, m.version.label)
      go.addEventListener('click', () => { stop(); show(index) })
      return h('li', null, go, ` (${formatDate(m.version.created_at)})`)
    }))
    if (!n) {
      where.textContent = t('history_none')
      fill(text)
      return
    }
    show(n - 1)
  }

  async function textAt(index) {
    const step = state.steps[index]
    if (!state.texts.has(step.position)) {
      state.texts.set(step.position, api('GET', `${base}/${step.position}`))
    }
    return state.texts.get(step.position)
  }

  async function show(index) {
    state.index = index
    slider.value = String(index + 1)
    const step = state.steps[index]
    const names = step.people.map((p) => p.name).join(', ')
    const said = t('history_where', { n: index + 1, total: state.steps.length, date: formatDate(step.at) }) +
      (names ? ` ${t('history_people', { names })}` : '')
    slider.setAttribute('aria-valuetext', said)
    where.textContent = said
    try {
      const found = await textAt(index)
      if (state.index !== index) return // moved on meanwhile
      renderText(text, found.delta, { level: 3, emptyText: t('history_empty_text') })
      el.dataset.position = String(step.position) // for the browser tests
    } catch (error) {
      where.textContent = errorText(error)
    }
    if (index + 1 < state.steps.length) textAt(index + 1) // the next one, ahead of time
  }

  function start() {
    if (!state.steps.length) return
    if (state.index >= state.steps.length - 1) show(0)
    play.setAttribute('aria-pressed', 'true')
    play.textContent = t('history_pause')
    where.setAttribute('aria-live', 'off') // a step a second is not read out while playing
    state.timer = setInterval(() => {
      if (state.index >= state.steps.length - 1) stop()
      else show(state.index + 1)
    }, PLAY_MS)
  }

  function stop() {
    if (state.timer !== null) clearInterval(state.timer)
    state.timer = null
    play.setAttribute('aria-pressed', 'false')
    play.textContent = t('history_play')
    where.setAttribute('aria-live', 'polite')
  }

  return { el }
}
