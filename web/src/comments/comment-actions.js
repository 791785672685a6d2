// What one may do to a comment or a thread besides reading it and answering: edit or delete
// one's own comment, hide someone's (facilitators, with a reason), resolve and reopen.
import { api } from '../lib/api.js'
import { announce, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { commentApi, stanceSelect } from './common.js'

export function commentActions(panel) {
  const { slug } = panel

  /** A form in place under a comment (kept in `view.editing` until sent or cancelled):
   * one field (and `extra` controls after it), checked by `check` (a problem in words, or
   * nothing), sent by `request`. */
  function formUnder(comment, view, { id, field, label, extra = null, send, sendClass = null, check = () => null, request, said }) {
    const problem = h('p', { class: 'error', role: 'alert' })
    const done = () => {
      view.editing.delete(comment.id)
      panel.render()
    }
    const el = h('form', { class: 'edit-form stack' },
      h('label', { for: id }, h('span', { class: 'label-text' }, label)), field, extra, problem,
      h('p', { class: 'button-row' }, h('button', { type: 'submit', class: sendClass }, send),
        h('button', { type: 'button', class: 'secondary', onclick: done }, t('cancel'))))
    el.addEventListener('submit', async (event) => {
      event.preventDefault()
      const missing = check()
      if (missing) {
        problem.textContent = missing
        return
      }
      try {
        panel.take(await request())
        done()
        announce(said)
      } catch (error) {
        problem.textContent = panel.failure(error)
      }
    })
    view.editing.set(comment.id, el)
    panel.render()
    field.focus()
  }

  function edit(comment, view) {
    const id = `edit-${comment.id}-body`
    const body = h('textarea', { id, rows: 3 })
    body.value = comment.body
    // Where one stands on the passage changes with what one says.
    const stanceId = `edit-${comment.id}-stance`
    const stance = stanceSelect(stanceId)
    stance.value = comment.stance || ''
    formUnder(comment, view, {
      id,
      field: body,
      label: t('comment_edit_label'),
      extra: [h('label', { for: stanceId }, h('span', { class: 'label-text' }, t('comment_stance'))), stance],
      send: t('comment_save'),
      request: () => api('PATCH', commentApi.comment(slug, comment.id), { body: body.value, stance: stance.value || null }),
      said: t('comment_done_edited'),
    })
  }

  function hide(comment, view) {
    const id = `hide-${comment.id}-reason`
    const reason = h('input', { type: 'text', id, maxlength: 2000 })
    formUnder(comment, view, {
      id,
      field: reason,
      label: t('comment_hide_reason'),
      send: t('comment_hide_send'),
      sendClass: 'danger',
      check: () => (reason.value.trim() ? null : t('comment_hide_need_reason')),
      request: () => api('POST', `${commentApi.comment(slug, comment.id)}/hide`, { reason: reason.value }),
      said: t('comment_done_hidden'),
    })
  }

  async function remove(comment) {
    if (!window.confirm(t('comment_confirm_delete'))) return
    try {
      panel.take(await api('DELETE', commentApi.comment(slug, comment.id)))
      announce(t('comment_done_deleted'))
    } catch (error) {
      panel.errorEl.textContent = panel.failure(error)
    }
  }

  async function setStatus(thread, status) {
    panel.errorEl.textContent = ''
    try {
      panel.take(await api('PUT', `${commentApi.thread(slug, thread.id)}/status`, { status }))
      announce(status === 'resolved' ? t('comment_done_resolved') : t('comment_done_reopened'))
    } catch (error) {
      panel.errorEl.textContent = panel.failure(error)
      panel.refreshThread(thread.id)
    }
  }

  return { edit, hide, remove, setStatus }
}
