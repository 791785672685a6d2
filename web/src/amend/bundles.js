// Bundles of amendments of one article (the amendments page, filtered by article): the
// sets that go together, the alternatives to choose between, a selection with a live
// preview, and, for facilitators, "accept as one step" and "put this bundle to the vote".
// Overlaps are said in words (which amendment makes what of which words), never by colour.
import '../css/bundles.css'
import { api, charterPath } from '../lib/api.js'
import { diffView } from '../lib/diff-view.js'
import { announce, fill, h } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import { latestOnly } from '../lib/reconnect.js'
import { amendError, field, missing, openDialog } from './common.js'

export const bundleApi = {
  list: (slug, key) => `${charterPath(slug)}/articles/${encodeURIComponent(key)}/bundles`,
  preview: (slug, key, ids) =>
    `${charterPath(slug)}/articles/${encodeURIComponent(key)}/bundles/preview?amendments=${ids.join(',')}`,
  accept: (slug, key) => `${charterPath(slug)}/articles/${encodeURIComponent(key)}/bundles/accept`,
}

const q = (text) => (text ? t('quoted', { text }) : t('conflict_nothing'))

/** The panel; `show(key, me)` loads it for an article (null hides it). */
export function bundlePanel({ slug, language }) {
  const state = { key: null, me: null, found: null, selected: new Set(), preview: null }
  const heading = h('h2', { id: 'bundles-title' }, t('bundles_title'))
  const setsEl = h('div', { class: 'bundle-sets' })
  const altEl = h('div', { class: 'bundle-alternatives' })
  const choiceEl = h('fieldset', { class: 'bundle-choice' })
  const previewEl = h('div', { class: 'bundle-preview' })
  const errorEl = h('p', { class: 'error', role: 'alert' })
  const noteEl = h('p', { class: 'bundle-note' }) // what was just done, in words
  const acceptButton = h('button', { type: 'button', hidden: true }, t('bundle_accept'))
  const voteButton = h('button', { type: 'button', class: 'secondary', hidden: true }, t('bundle_vote'))
  const el = h('section', { class: 'bundle-panel', 'aria-labelledby': 'bundles-title', hidden: true },
    heading, h('p', { class: 'hint' }, t('bundles_intro')), setsEl, altEl, choiceEl, previewEl, errorEl, noteEl,
    h('div', { class: 'button-row' }, acceptButton, voteButton))

  const titleOf = (id) => state.found.amendments.find((a) => a.id === id)?.title ?? `#${id}`
  const names = (ids) => ids.map((id) => t('quoted', { text: titleOf(id) })).join(', ')
  const facilitator = () => state.me && state.me.role === 'facilitator'

  function renderSets() {
    const { sets, alternatives } = state.found
    fill(setsEl, h('h3', null, t('bundles_sets')),
      h('ul', null, sets.filter((s) => s.length).map((ids) => h('li', null,
        h('span', { lang: language }, names(ids)), ' ',
        h('button', { type: 'button', class: 'secondary small', 'aria-label': t('bundle_pick_label', { names: names(ids) }),
          onclick: () => select(ids) }, t('bundle_pick'))))))
    fill(altEl, alternatives.length ? [h('h3', null, t('bundles_alternatives')),
      h('ul', null, alternatives.map((alt) => h('li', { class: 'alternative' },
        h('span', { lang: language }, t('bundle_alternative', {
          one: q(titleOf(alt.amendments[0])), other: q(titleOf(alt.amendments[1])),
          words: alt.overlaps.map((o) => (o.base ? q(o.base) : t('bundle_same_place'))).join(', '),
        })))))] : [])
  }

  function renderChoice() {
    fill(choiceEl, h('legend', null, t('bundle_choose')),
      state.found.amendments.map((a) => {
        const box = h('input', { type: 'checkbox', name: 'bundle', value: String(a.id), checked: state.selected.has(a.id) })
        box.addEventListener('change', () => {
          if (box.checked) state.selected.add(a.id)
          else state.selected.delete(a.id)
          loadPreview()
        })
        return h('label', { class: 'check' }, box, h('span', { lang: language }, a.title))
      }))
  }

  function renderPreview() {
    const seen = state.preview
    const ids = [...state.selected]
    acceptButton.hidden = voteButton.hidden = !facilitator() || !ids.length
    if (!seen) {
      fill(previewEl, h('p', { class: 'empty' }, t('bundle_none_chosen')))
      return
    }
    fill(previewEl, h('h3', null, t('bundle_preview')),
      seen.compatible ? h('p', { class: 'no-conflict' }, t('bundle_compatible'))
        : h('div', { class: 'conflicts has-conflicts' },
          h('p', null, tn('bundle_overlaps', seen.overlaps.length)),
          h('ul', null, seen.overlaps.map((o) => h('li', { class: 'conflict', lang: language }, overlapSentence(o))))),
      diffView(seen.preview, { language, emptyText: t('bundle_no_change') }))
  }

  function overlapSentence(o) {
    return t('bundle_overlap', {
      words: o.base ? q(o.base) : t('bundle_at_same_place'),
      versions: o.versions.map((v) => (v.live ? t('bundle_live_version', { words: q(v.text) })
        : t('bundle_version', { title: q(v.title), words: q(v.text) }))).join(', '),
    })
  }

  function select(ids) {
    state.selected = new Set(ids)
    renderChoice()
    loadPreview()
  }

  async function loadPreview() {
    const ids = [...state.selected]
    errorEl.textContent = ''
    try {
      state.preview = ids.length ? await api('GET', bundleApi.preview(slug, state.key, ids)) : null
      renderPreview()
      if (ids.length) announce(state.preview.compatible ? t('bundle_compatible') : tn('bundle_overlaps', state.preview.overlaps.length))
    } catch (error) {
      errorEl.textContent = amendError(error)
    }
  }

  // Shows overlap (the page's loads, each event's): only the latest answer is shown.
  const ask = latestOnly((key) => api('GET', bundleApi.list(slug, key)))
  async function show(key, me) {
    state.key = key
    state.me = me
    el.hidden = !key
    if (!key) return
    try {
      const found = await ask(key)
      if (!found) return // a later show is under way
      state.found = found
    } catch (error) {
      errorEl.textContent = amendError(error)
      return
    }
    const open = new Set(state.found.amendments.map((a) => a.id))
    state.selected = new Set([...state.selected].filter((id) => open.has(id)))
    el.hidden = state.found.amendments.length < 2
    renderSets()
    renderChoice()
    await loadPreview()
  }

  acceptButton.addEventListener('click', () => acceptDialog({
    slug, language, key: state.key, ids: [...state.selected], overlaps: state.preview?.overlaps ?? [],
    title: t('bundle_accept_title', { names: names([...state.selected]) }),
    versionLabel: (v) => t('bundle_keep', { title: q(v.title), words: q(v.text) }),
    onDone: () => show(state.key, state.me),
  }))
  voteButton.addEventListener('click', async () => {
    errorEl.textContent = noteEl.textContent = ''
    try {
      await api('POST', `${charterPath(slug)}/votes`, {
        subject: { kind: 'bundle', article: state.key, amendments: [...state.selected] },
        scale: 'simple', secret: false,
      })
      noteEl.textContent = t('bundle_vote_opened')
      announce(t('bundle_vote_opened'))
    } catch (error) {
      errorEl.textContent = amendError(error)
    }
  })
  return { el, show }
}

let groups = 0

/** For one overlap: the words of one of the versions, both (as merged), or others. */
function overlapChoice(o, versionLabel, language) {
  const name = `overlap-${++groups}`
  const radios = o.versions.map((v) => ({ v, input: h('input', { type: 'radio', name, value: v.live ? 'live' : String(v.amendment) }) }))
  const both = h('input', { type: 'radio', name, value: 'both' })
  const mine = h('input', { type: 'radio', name, value: 'text' })
  const own = h('input', { type: 'text', name: `${name}-text`, maxlength: 2000, lang: language, disabled: true,
    'aria-label': t('conflict_own_label') })
  for (const input of [...radios.map((r) => r.input), both, mine]) {
    input.addEventListener('change', () => {
      own.disabled = !mine.checked
      if (mine.checked) own.focus()
    })
  }
  const el = h('fieldset', { class: 'conflict-choice' },
    h('legend', { lang: language }, o.base ? t('bundle_overlap_legend', { words: q(o.base) }) : t('bundle_at_same_place')),
    radios.map(({ v, input }) => h('label', { class: 'check' }, input, h('span', { lang: language },
      v.live ? t('conflict_keep_live', { words: q(v.text) }) : versionLabel(v)))),
    // Both only where each added words at the same place (else the merge glues the words).
    o.base ? null : h('label', { class: 'check' }, both, h('span', null, t('conflict_keep_both'))),
    h('label', { class: 'check' }, mine, h('span', null, t('conflict_write'))),
    own)
  return {
    el,
    first: radios[0].input,
    own,
    value() {
      const picked = radios.find((r) => r.input.checked)
      if (picked) return picked.v.live ? { choose: 'live' } : { choose: 'amendment', amendment: picked.v.amendment }
      if (both.checked) return { choose: 'both' }
      if (mine.checked) return { choose: 'text', text: own.value.trim() }
      return null
    },
  }
}

/** Accept a set as one step, choosing the words where its amendments overlap. */
export function acceptDialog({ slug, language, key, ids, overlaps, title, versionLabel, submitText, url, onDone }) {
  const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, lang: language })
  const choices = overlaps.map((o) => overlapChoice(o, versionLabel, language))
  return openDialog({
    title,
    intro: overlaps.length ? tn('bundle_accept_intro_overlaps', overlaps.length) : t('bundle_accept_intro'),
    fields: [...choices.map((c) => c.el), field(t('reason_optional'), reason)],
    submitText: submitText || t('bundle_accept'),
    onSubmit: async ({ showError }) => {
      const resolutions = []
      for (const choice of choices) {
        const picked = choice.value()
        if (!picked) return missing(choice.first, showError, t('conflict_choose_missing'))
        if (picked.choose === 'text' && !picked.text) return missing(choice.own, showError, t('conflict_own_missing'))
        resolutions.push(picked)
      }
      await api('POST', url || bundleApi.accept(slug, key), {
        ...(ids ? { amendments: ids } : {}),
        ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
        ...(resolutions.length ? { resolutions } : {}),
      })
      announce(url ? t('groups_merged') : t('bundle_accepted'))
      await onDone()
      return true
    },
  })
}
