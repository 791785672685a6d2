// The form under a thread that answers it, hidden until "Reply".
import { api } from '../lib/api.js'
import { announce, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { commentApi, stanceSelect } from './common.js'

export function replyForm(panel, threadId) {
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
      panel.take(await api('POST', `${commentApi.thread(panel.slug, threadId)}/comments`, { body: body.value, stance: stance.value || null }))
      body.value = ''
      stance.value = ''
      el.hidden = true
      announce(t('comment_done_reply'))
      panel.markSeen()
    } catch (error) {
      problem.textContent = panel.failure(error)
      panel.refreshThread(threadId)
    }
  })
  return { el, focus: () => body.focus() }
}
