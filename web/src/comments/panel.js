// The discussion of a text, beside its editor: an article's, or (with `amendment`) an
// amendment's, whose passages are in its fork. Threads in the order of the text (each
// follows its words as people edit, resolved here with Yjs on the editor's own document),
// their passages highlighted in the text, a form to comment on the selection or on the
// whole text, replies, resolve and reopen, edit and delete one's own comment, hide
// (facilitators). New comments, replies and changes arrive live (`comment` events on the
// charter's channel); what is new since the person's last visit is marked (one marker per
// article, its amendments' discussions included).
import '../css/comments.css'
import { api } from '../lib/api.js'
import { announce, h, fill, reorder } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import {
  STANCES, anchorFor, commentApi, commentBody, commentError, mayComment, placeOf, quoteView,
  statusMark,
} from './common.js'
import { commentMarks } from './marks.js'

const SEEN_DELAY = 1500
const texts = new WeakMap() // thread JSON -> its text, to see quickly whether it changed

export function articleComments({ session, slug, key, language, amendment = null }) {
  // Where this discussion's threads are listed and started, and which events are its own.
  const threadsUrl = amendment === null ? commentApi.article(slug, key) : commentApi.amendment(slug, amendment)
  const ours = (event) => (amendment === null
    ? event.article === key && !event.amendment
    : event.amendment === amendment)
  // The words that name the text: "the article" or "the amendment".
  const tt = (name) => t(amendment === null ? name : `${name}_amendment`)
  /** An API failure in words; on an amendment, a 409 means it was closed meanwhile. */
  const failure = (error) => {
    if (amendment !== null && error && error.status === 409 && /discussion is closed/.test(error.message)) {
      load()
      return t('comments_amendment_closed')
    }
    if (amendment !== null && error && error.status === 422 && error.field === 'anchor') {
      return tt('comment_anchor_gone')
    }
    return commentError(error)
  }
  const state = {
    me: null,
    mayStart: false, // may start a thread here (the role; an amendment's status too)
    threads: new Map(), // id -> thread JSON
    views: new Map(), // id -> {el, content, reply, editing: Map}
    places: new Map(), // id -> {state, index, length}
    showResolved: false,
    caret: null,
    loaded: false,
    latest: 0,
  }
  let quill = null
  let entry = null
  let marks = null
  let seenTimer = null // a marker waiting to be sent

  const countEl = h('span', { class: 'thread-count' })
  const unreadEl = h('p', { class: 'unread-summary', hidden: true })
  const errorEl = h('p', { class: 'error', role: 'alert' })
  const listEl = h('ol', { class: 'thread-list' })
  const emptyEl = h('p', { class: 'empty' }, t('comments_none'))
  const onSelection = h('button', { type: 'button', class: 'secondary' }, t('comment_on_selection'))
  const onArticle = h('button', { type: 'button', class: 'secondary' },
    t(amendment === null ? 'comment_on_article' : 'comment_on_amendment'))
  const actions = h('div', { class: 'button-row comment-start', hidden: true }, onSelection, onArticle,
    h('p', { class: 'hint' }, t('comment_shortcut_hint')))
  const resolvedBox = h('input', { type: 'checkbox', id: 'show-resolved' })
  const form = newThreadForm()
  const closedEl = h('p', { class: 'hint comments-closed', hidden: true })
  const el = h('aside', { class: 'comments-panel', 'aria-labelledby': 'comments-title' },
    h('h2', { id: 'comments-title' }, tt('comments_title'), ' ', countEl),
    unreadEl, closedEl, actions, form.el,
    h('p', { class: 'check' }, resolvedBox, h('label', { for: 'show-resolved' }, t('comments_show_resolved'))),
    errorEl, listEl, emptyEl)

  resolvedBox.addEventListener('change', () => {
    state.showResolved = resolvedBox.checked
    render()
  })
  onSelection.addEventListener('click', () => form.open(marks ? marks.selection() : null))
  onArticle.addEventListener('click', () => form.open(null, true))

  // -- the form that starts a thread

  function newThreadForm() {
    const passage = h('input', { type: 'text', id: 'comment-passage', autocomplete: 'off', lang: language })
    const body = h('textarea', { id: 'comment-body', rows: 4, required: true })
    const stance = stanceSelect('comment-stance')
    const problem = h('p', { class: 'error', role: 'alert' })
    const el = h('form', { class: 'box new-thread stack', hidden: true, 'aria-labelledby': 'new-thread-title' },
      h('h3', { id: 'new-thread-title' }, t('comment_new_title')),
      h('label', { for: 'comment-passage' }, h('span', { class: 'label-text' }, t('comment_passage')),
        h('span', { class: 'hint', id: 'comment-passage-hint' }, tt('comment_passage_hint'))),
      passage,
      h('label', { for: 'comment-body' }, h('span', { class: 'label-text' }, t('comment_body'))), body,
      h('label', { for: 'comment-stance' }, h('span', { class: 'label-text' }, t('comment_stance'))), stance,
      problem,
      h('p', { class: 'button-row' },
        h('button', { type: 'submit' }, t('comment_send')),
        h('button', { type: 'button', class: 'secondary', onclick: () => close() }, t('cancel'))))
    passage.setAttribute('aria-describedby', 'comment-passage-hint')
    let chosen = null // {index, length, text} from the selection

    function open(range, wholeArticle = false) {
      problem.textContent = ''
      chosen = null
      passage.value = ''
      if (range && quill && !wholeArticle) {
        const text = quill.getText(range.index, range.length)
        chosen = { ...range, text }
        passage.value = text
      }
      el.hidden = false
      ;(wholeArticle || chosen ? body : passage).focus()
    }

    function close() {
      el.hidden = true
      body.value = ''
      stance.value = ''
      onSelection.focus()
    }

    function anchor() {
      const wanted = passage.value.trim()
      if (!wanted) return null
      const text = entry.text.toString()
      let index
      if (chosen && wanted === chosen.text.trim() && text.slice(chosen.index, chosen.index + chosen.length) === chosen.text) {
        index = chosen.index + (chosen.text.length - chosen.text.trimStart().length)
      } else {
        index = text.indexOf(wanted)
      }
      if (index < 0) return undefined
      return { ...anchorFor(entry.text, index, wanted.length), quote: wanted }
    }

    el.addEventListener('submit', async (event) => {
      event.preventDefault()
      problem.textContent = ''
      if (!body.value.trim()) {
        problem.textContent = t('comment_need_body')
        body.focus()
        return
      }
      const where = anchor()
      if (where === undefined) {
        problem.textContent = tt('comment_not_found')
        passage.focus()
        return
      }
      try {
        const thread = await api('POST', threadsUrl,
          { body: body.value, stance: stance.value || null, anchor: where })
        take(thread)
        close()
        announce(t('comment_done'))
        markSeen()
      } catch (error) {
        problem.textContent = failure(error)
      }
    })
    el.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') close()
    })
    return { el, open }
  }

  function stanceSelect(id) {
    return h('select', { id, name: 'stance' },
      h('option', { value: '' }, t('comment_stance_none')),
      STANCES.map((s) => h('option', { value: s }, t(`stance_${s}`))))
  }

  function allowStart(value, status = null) {
    state.mayStart = Boolean(value)
    actions.hidden = !state.mayStart
    if (!state.mayStart) form.el.hidden = true
    if (marks) marks.setEnabled(state.mayStart)
    // Why an amendment's discussion takes no new thread, when the role is not the reason.
    closedEl.hidden = state.mayStart || amendment === null || !mayComment(state.me)
    closedEl.textContent = status === 'draft' ? t('comments_amendment_draft') : t('comments_amendment_closed')
  }

  // -- threads

  function take(thread) {
    state.threads.set(thread.id, thread)
    state.latest = Math.max(state.latest, thread.last_comment || 0)
    render()
  }

  function visible(thread) {
    return state.showResolved || thread.status !== 'resolved'
  }

  function locate() {
    for (const thread of state.threads.values()) {
      state.places.set(thread.id, entry ? placeOf(entry.doc, thread.anchor) : placeOf(null, thread.anchor))
    }
  }

  function ordered() {
    const rank = (place) => (place.state === 'article' ? -1 : place.index ?? Infinity)
    return [...state.threads.values()].sort((a, b) =>
      rank(state.places.get(a.id)) - rank(state.places.get(b.id)) || a.id - b.id)
  }

  function render() {
    if (!state.loaded) return
    locate()
    const all = ordered()
    const shown = all.filter(visible)
    reorder(listEl, shown.map(threadView))
    emptyEl.hidden = shown.length > 0
    emptyEl.textContent = all.length ? t('comments_none_match') : tt('comments_none')
    countEl.textContent = `(${tn('comments_count', shown.length)})`
    const unread = all.reduce((n, thread) => n + thread.unread, 0)
    unreadEl.hidden = unread === 0
    unreadEl.textContent = tn('comments_unread', unread)
    drawMarks()
  }

  function drawMarks() {
    if (!marks) return
    const spans = []
    for (const thread of state.threads.values()) {
      const place = state.places.get(thread.id)
      if (!visible(thread) || !place || place.state !== 'attached') continue
      const current = state.caret !== null && state.caret >= place.index && state.caret <= place.index + place.length
      spans.push({ id: thread.id, index: place.index, length: place.length, current })
      const view = state.views.get(thread.id)
      if (view) view.el.classList.toggle('current', current)
    }
    marks.show(spans)
  }

  function threadView(thread) {
    let view = state.views.get(thread.id)
    if (!view) {
      view = { content: h('div', { class: 'thread-content' }), reply: replyForm(thread.id), editing: new Map() }
      view.el = h('li', { class: 'thread', id: `thread-${thread.id}`, tabindex: -1 }, view.content, view.reply.el)
      state.views.set(thread.id, view)
    }
    const place = state.places.get(thread.id)
    // Drawn again only when something shown changed (not at every keystroke in the text).
    if (!texts.has(thread)) texts.set(thread, JSON.stringify(thread))
    const signature = `${texts.get(thread)}|${place.state}|${[...view.editing.keys()]}`
    if (signature === view.signature) return view.el
    view.signature = signature
    const focusKey = view.el.contains(document.activeElement) ? document.activeElement.dataset.focus : null
    view.el.dataset.state = place.state
    view.el.dataset.status = thread.status
    view.el.classList.toggle('has-unread', thread.unread > 0)
    fill(view.content,
      quoteView(thread, place.state, language),
      h('p', { class: 'thread-status' }, statusMark(thread),
        thread.status === 'resolved' && thread.status_by ? [' ', h('span', { class: 'hint' }, t('comment_resolved_by', { name: thread.status_by }))] : null),
      place.state === 'attached' ? h('p', { class: 'passage-row' }, button(t('comment_show_passage'), `show-${thread.id}`, () => showPassage(thread.id), 'link-button')) : null,
      h('ol', { class: 'comments' }, thread.comments.map((comment) => commentView(thread, comment, view))),
      threadActions(thread, view))
    view.reply.el.hidden = view.reply.el.hidden || !thread.may_reply
    if (focusKey) {
      const again = view.el.querySelector(`[data-focus="${focusKey}"]`)
      if (again) again.focus({ preventScroll: true })
    }
    return view.el
  }

  function button(label, focus, onclick, className = 'secondary') {
    return h('button', { type: 'button', class: className, dataset: { focus }, onclick }, label)
  }

  function commentView(thread, comment, view) {
    const tools = []
    if (comment.may_change) {
      tools.push(button(t('comment_edit'), `edit-${comment.id}`, () => editComment(thread, comment, view), 'link-button'))
      tools.push(button(t('comment_delete'), `delete-${comment.id}`, () => deleteComment(thread, comment), 'link-button'))
    }
    if (thread.may_hide && !comment.hidden && !comment.deleted) {
      tools.push(button(t('comment_hide'), `hide-${comment.id}`, () => hideComment(thread, comment, view), 'link-button'))
    }
    const editor = view.editing.get(comment.id)
    return h('li', { class: comment.unread ? 'comment unread' : 'comment', id: `comment-${comment.id}` },
      commentBody(comment),
      tools.length ? h('p', { class: 'comment-tools' }, tools) : null,
      editor || null)
  }

  function threadActions(thread, view) {
    const items = []
    if (thread.may_reply) {
      items.push(button(t('comment_reply'), `reply-${thread.id}`, () => {
        view.reply.el.hidden = false
        view.reply.focus()
      }))
    }
    if (thread.may_set_status) {
      const resolved = thread.status === 'resolved'
      items.push(button(resolved ? t('comment_reopen') : t('comment_resolve'), `status-${thread.id}`,
        () => setStatus(thread, resolved ? 'open' : 'resolved')))
    }
    return items.length ? h('p', { class: 'button-row thread-actions' }, items) : null
  }

  function replyForm(threadId) {
    const id = `reply-${threadId}-body`
    const body = h('textarea', { id, rows: 3 })
    const stance = stanceSelect(`reply-${threadId}-stance`)
    const problem = h('p', { class: 'error', role: 'alert' })
    const el = h('form', { class: 'reply-form stack', hidden: true },
      h('label', { for: id }, h('span', { class: 'label-text' }, t('comment_reply_label'))), body,
      h('label', { for: `reply-${threadId}-stance` }, h('span', { class: 'label-text' }, t('comment_stance'))), stance,
      problem,
      h('p', { class: 'button-row' }, h('button', { type: 'submit' }, t('comment_reply_send')),
        h('button', { type: 'button', class: 'secondary', onclick: () => { el.hidden = true } }, t('cancel'))))
    el.addEventListener('submit', async (event) => {
      event.preventDefault()
      problem.textContent = ''
      if (!body.value.trim()) {
        problem.textContent = t('comment_need_body')
        return
      }
      try {
        take(await api('POST', `${commentApi.thread(slug, threadId)}/comments`, { body: body.value, stance: stance.value || null }))
        body.value = ''
        stance.value = ''
        el.hidden = true
        announce(t('comment_done_reply'))
        markSeen()
      } catch (error) {
        problem.textContent = failure(error)
        refreshThread(threadId)
      }
    })
    return { el, focus: () => body.focus() }
  }

  function editComment(thread, comment, view) {
    const id = `edit-${comment.id}-body`
    const body = h('textarea', { id, rows: 3 })
    body.value = comment.body
    const problem = h('p', { class: 'error', role: 'alert' })
    const done = () => {
      view.editing.delete(comment.id)
      render()
    }
    const el = h('form', { class: 'edit-form stack' },
      h('label', { for: id }, h('span', { class: 'label-text' }, t('comment_edit_label'))), body, problem,
      h('p', { class: 'button-row' }, h('button', { type: 'submit' }, t('comment_save')),
        h('button', { type: 'button', class: 'secondary', onclick: done }, t('cancel'))))
    el.addEventListener('submit', async (event) => {
      event.preventDefault()
      try {
        take(await api('PATCH', commentApi.comment(slug, comment.id), { body: body.value }))
        view.editing.delete(comment.id)
        render()
        announce(t('comment_done_edited'))
      } catch (error) {
        problem.textContent = failure(error)
      }
    })
    view.editing.set(comment.id, el)
    render()
    body.focus()
  }

  function hideComment(thread, comment, view) {
    const id = `hide-${comment.id}-reason`
    const reason = h('input', { type: 'text', id, maxlength: 2000 })
    const problem = h('p', { class: 'error', role: 'alert' })
    const el = h('form', { class: 'edit-form stack' },
      h('label', { for: id }, h('span', { class: 'label-text' }, t('comment_hide_reason'))), reason, problem,
      h('p', { class: 'button-row' }, h('button', { type: 'submit', class: 'danger' }, t('comment_hide_send')),
        h('button', { type: 'button', class: 'secondary', onclick: () => { view.editing.delete(comment.id); render() } }, t('cancel'))))
    el.addEventListener('submit', async (event) => {
      event.preventDefault()
      if (!reason.value.trim()) {
        problem.textContent = t('comment_hide_need_reason')
        return
      }
      try {
        take(await api('POST', `${commentApi.comment(slug, comment.id)}/hide`, { reason: reason.value }))
        view.editing.delete(comment.id)
        render()
        announce(t('comment_done_hidden'))
      } catch (error) {
        problem.textContent = failure(error)
      }
    })
    view.editing.set(comment.id, el)
    render()
    reason.focus()
  }

  async function deleteComment(thread, comment) {
    if (!window.confirm(t('comment_confirm_delete'))) return
    try {
      take(await api('DELETE', commentApi.comment(slug, comment.id)))
      announce(t('comment_done_deleted'))
    } catch (error) {
      errorEl.textContent = failure(error)
    }
  }

  async function setStatus(thread, status) {
    errorEl.textContent = ''
    try {
      take(await api('PUT', `${commentApi.thread(slug, thread.id)}/status`, { status }))
      announce(status === 'resolved' ? t('comment_done_resolved') : t('comment_done_reopened'))
    } catch (error) {
      errorEl.textContent = failure(error)
      refreshThread(thread.id)
    }
  }

  function showPassage(threadId) {
    const place = state.places.get(threadId)
    if (!quill || !place || place.state !== 'attached') return
    quill.setSelection(place.index, place.length, 'api')
    if (quill.scrollSelectionIntoView) quill.scrollSelectionIntoView()
  }

  // -- loading, live events, unread markers

  async function load() {
    try {
      const found = await api('GET', threadsUrl)
      state.threads = new Map(found.threads.map((thread) => [thread.id, thread]))
      state.latest = found.latest
      state.loaded = true
      if (amendment !== null) allowStart(found.may_comment, found.status)
      errorEl.textContent = ''
      render()
      markSeen(0)
      focusFromAddress()
    } catch (error) {
      errorEl.textContent = failure(error)
    }
  }

  function focusFromAddress() {
    if (location.hash === '#comments-title' && !state.scrolled) {
      state.scrolled = true
      el.scrollIntoView({ block: 'start' })
    }
    const match = /^#thread-(\d+)$/.exec(location.hash)
    const view = match && state.views.get(Number(match[1]))
    if (view && !view.focused) {
      view.focused = true
      view.el.scrollIntoView({ block: 'center' })
      view.el.focus({ preventScroll: true })
    }
  }

  async function refreshThread(id) {
    try {
      take(await api('GET', commentApi.thread(slug, id)))
    } catch (error) {
      if (error.status === 404) {
        state.threads.delete(id)
        render()
      }
    }
  }

  /** The person has seen everything shown: move their marker (debounced; `keepalive`,
   * so that leaving the page right away does not cancel it). */
  function markSeen(delay = SEEN_DELAY) {
    if (!state.me || !state.me.participant_id || !state.latest) return
    clearTimeout(seenTimer)
    const send = () => {
      seenTimer = null
      fetch(commentApi.seen(slug, key), {
        method: 'PUT',
        credentials: 'same-origin',
        keepalive: true,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ through: state.latest }),
      }).catch(() => {})
    }
    if (delay === 0) send()
    else seenTimer = setTimeout(send, delay)
  }
  window.addEventListener('pagehide', () => {
    if (seenTimer !== null) {
      clearTimeout(seenTimer)
      markSeen(0)
    }
  })

  session.on('comment', async (event) => {
    if (!ours(event) || !state.loaded) return
    const before = state.threads.get(event.thread)
    await refreshThread(event.thread)
    const after = state.threads.get(event.thread)
    if (!after) return
    const last = after.comments[after.comments.length - 1]
    if (event.event === 'created' && !before && !after.comments[0].mine) {
      announce(t('comment_event_created', { name: after.author }))
    } else if (event.event === 'replied' && last && !last.mine) {
      announce(t('comment_event_replied', { name: last.author }))
    } else if (['resolved', 'reopened', 'hidden'].includes(event.event)) {
      announce(t(`comment_event_${event.event}`))
    }
    markSeen()
  })

  return {
    el,
    /** Once the editor exists: highlight passages in it, follow its text. */
    attach(editor, documentEntry) {
      quill = editor
      entry = documentEntry
      marks = commentMarks(quill, {
        onComment: (range) => form.open(range),
        onCaret: (index) => {
          state.caret = index
          drawMarks()
        },
      })
      marks.setEnabled(state.mayStart)
      let pending = false
      entry.doc.on('update', () => {
        if (pending) return
        pending = true
        requestAnimationFrame(() => {
          pending = false
          render()
        })
      })
      render()
    },
    update(charter, me) {
      state.me = me
      // An amendment's discussion says itself who may start a thread (load).
      if (amendment === null) allowStart(mayComment(me))
      load() // also after a reconnection: events may have been missed
    },
  }
}
