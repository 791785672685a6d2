// One thread in the list: its passage (or "the whole text"), its status, its comments with
// what one may do to each, its buttons and its reply form. Drawn again only when something
// shown changed (not at every keystroke in the text), keeping focus where it was.
import { h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { commentActions } from './comment-actions.js'
import { commentBody, quoteView, statusMark } from './common.js'
import { replyForm } from './reply-form.js'

const texts = new WeakMap() // thread JSON -> its text, to see quickly whether it changed

/** The function that gives a thread's list item, made once and updated after. */
export function threadViews(panel) {
  const { state, language } = panel
  const actions = commentActions(panel)

  function threadView(thread) {
    let view = state.views.get(thread.id)
    if (!view) {
      view = { content: h('div', { class: 'thread-content' }), reply: replyForm(panel, thread.id), editing: new Map() }
      view.el = h('li', { class: 'thread', id: `thread-${thread.id}`, tabindex: -1 }, view.content, view.reply.el)
      state.views.set(thread.id, view)
    }
    const place = state.places.get(thread.id)
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
      tools.push(button(t('comment_edit'), `edit-${comment.id}`, () => actions.edit(comment, view), 'link-button'))
      tools.push(button(t('comment_delete'), `delete-${comment.id}`, () => actions.remove(comment), 'link-button'))
    }
    if (thread.may_hide && !comment.hidden && !comment.deleted) {
      tools.push(button(t('comment_hide'), `hide-${comment.id}`, () => actions.hide(comment, view), 'link-button'))
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
        () => actions.setStatus(thread, resolved ? 'open' : 'resolved')))
    }
    return items.length ? h('p', { class: 'button-row thread-actions' }, items) : null
  }

  /** Select the thread's passage in the editor and bring it into view. */
  function showPassage(threadId) {
    const place = state.places.get(threadId)
    if (!panel.quill || !place || place.state !== 'attached') return
    panel.quill.setSelection(place.index, place.length, 'api')
    if (panel.quill.scrollSelectionIntoView) panel.quill.scrollSelectionIntoView()
  }

  return threadView
}
