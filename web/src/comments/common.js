// What the editor's discussion panel and the charter-wide list share: API paths, anchors
// (Yjs relative positions, made and resolved here in the browser, base64 over JSON), and
// the pieces of a comment. People's text always goes in as text nodes, never as markup.
import * as Y from 'yjs'
import { ApiError, charterPath, errorText } from '../lib/api.js'
import { formatDate } from '../lib/dates.js'
import { h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { withBadge } from '../lib/presence.js'

export const STANCES = ['for', 'against', 'mixed'] // where a comment stands on its passage

export const commentApi = {
  list: (slug) => `${charterPath(slug)}/threads`,
  thread: (slug, id) => `${charterPath(slug)}/threads/${encodeURIComponent(id)}`,
  article: (slug, key) => `${charterPath(slug)}/articles/${encodeURIComponent(key)}/threads`,
  amendment: (slug, id) => `${charterPath(slug)}/amendments/${encodeURIComponent(id)}/threads`,
  seen: (slug, key) => `${charterPath(slug)}/articles/${encodeURIComponent(key)}/seen`,
  comment: (slug, id) => `${charterPath(slug)}/comments/${encodeURIComponent(id)}`,
  moderation: (slug) => `${charterPath(slug)}/moderation`,
}

export const commentsPath = (slug) => `/charters/${encodeURIComponent(slug)}/comments`

/** Commenters and up may comment (the administrator's token too). */
export function mayComment(me) {
  return Boolean(me && ['facilitator', 'editor', 'commenter'].includes(me.role))
}

function toBase64(bytes) {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return btoa(text)
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

/** The passage [index, index + length) of `ytext` as two relative positions: the start
 * sticks to its first character, the end to its last one, so that words typed just
 * outside the passage are not drawn into it. */
export function anchorFor(ytext, index, length) {
  const start = Y.createRelativePositionFromTypeIndex(ytext, index, 0)
  const end = Y.createRelativePositionFromTypeIndex(ytext, index + length, -1)
  return {
    start: toBase64(Y.encodeRelativePosition(start)),
    end: toBase64(Y.encodeRelativePosition(end)),
  }
}

/** Where `quote` stands in `text` starting at or spanning `at`, or -1 (the same words
 * elsewhere, moved or in another sentence, are not the passage). */
function standsAt(text, quote, at) {
  const from = Math.max(0, at - quote.length)
  const found = text.slice(from, at + quote.length).indexOf(quote)
  return found < 0 ? -1 : from + found
}

/** Where a thread's passage is in `doc` now: {state, index, length}. `state` is article,
 * attached, detached (all its words deleted) or unknown (text not received yet). A
 * passage whose characters were all deleted is attached again if its quoted words stand
 * where it was: an undo or a restored version brings the words back as new characters,
 * which its positions do not name. The server applies the same rule. */
export function placeOf(doc, anchor) {
  if (!anchor) return { state: 'article', index: -1, length: 0 }
  try {
    const start = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromBase64(anchor.start)), doc)
    const end = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromBase64(anchor.end)), doc)
    if (start && end) {
      const length = Math.max(0, end.index - start.index)
      if (!length && anchor.quote && anchor.quote.trim()) {
        const found = standsAt(doc.getText('body').toString(), anchor.quote, start.index)
        if (found >= 0) return { state: 'attached', index: found, length: anchor.quote.length }
      }
      return { state: length ? 'attached' : 'detached', index: start.index, length }
    }
  } catch {
    // fall through to what the server said
  }
  return { state: anchor.state, index: anchor.index ?? Infinity, length: anchor.length || 0 }
}

/** The choice of a stance (none, for, against, mixed) for a comment's form. */
export function stanceSelect(id) {
  return h('select', { id, name: 'stance' },
    h('option', { value: '' }, t('comment_stance_none')),
    STANCES.map((s) => h('option', { value: s }, t(`stance_${s}`))))
}

export function stanceBadge(stance) {
  return stance ? h('span', { class: `stance stance-${stance}` }, t(`stance_${stance}`)) : null
}

export function statusMark(thread) {
  return thread.status === 'resolved'
    ? h('span', { class: 'cmark cmark-resolved' }, t('comment_resolved'))
    : null
}

/** The quoted passage of a thread, or "on the whole article" (or amendment); marked when
 * detached. */
export function quoteView(thread, state, language) {
  if (!thread.anchor) {
    return h('p', { class: 'thread-scope' }, t(thread.amendment ? 'comment_whole_amendment' : 'comment_whole_article'))
  }
  const detached = state === 'detached'
  return h('div', { class: 'thread-quote' },
    h('blockquote', { lang: language, class: detached ? 'detached' : null }, thread.anchor.quote),
    detached ? h('p', { class: 'detached-note' },
      h('span', { class: 'cmark cmark-detached' }, t('comment_detached')), ' ',
      h('span', { class: 'hint' }, t(thread.amendment ? 'comment_detached_hint_amendment' : 'comment_detached_hint'))) : null)
}

/** One comment: who, when, stance, the text as typed (or why it is not shown). */
export function commentBody(comment) {
  const meta = h('p', { class: 'comment-meta' },
    withBadge(h('span', { class: 'comment-author' }, comment.author), comment.author_badge), ' · ',
    h('time', { datetime: comment.created_at }, formatDate(comment.created_at)),
    comment.edited_at ? [' · ', h('span', { class: 'edited' }, t('comment_edited'))] : null,
    comment.unread ? [' ', h('span', { class: 'unread-mark' }, t('comment_new'))] : null,
    comment.body !== null && comment.stance ? [' ', stanceBadge(comment.stance)] : null)
  let body
  if (comment.hidden) {
    body = h('p', { class: 'comment-removed' },
      t('comment_hidden', { name: comment.hidden.by || '', reason: comment.hidden.reason || '' }))
  } else if (comment.deleted) {
    body = h('p', { class: 'comment-removed' }, t('comment_deleted'))
  } else {
    body = h('p', { class: 'comment-text' }, comment.body)
  }
  const history = comment.revisions && comment.revisions.length
    ? h('details', { class: 'comment-history' },
      h('summary', null, t('comment_history')),
      h('ol', null, comment.revisions.map((r) => h('li', null,
        h('time', { datetime: r.at }, formatDate(r.at)), ' — ', h('span', { class: 'comment-text' }, r.body)))))
    : null
  return [meta, body, history]
}

/** An API failure about comments, in words. */
export function commentError(error) {
  if (error instanceof ApiError && error.status === 422) {
    if (error.field === 'body') return /longer/.test(error.message) ? t('comment_too_long') : t('comment_need_body')
    if (error.field === 'anchor') return t('comment_anchor_gone')
  }
  if (error instanceof ApiError && error.status === 409) return t('comment_conflict')
  return errorText(error)
}
