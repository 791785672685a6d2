// What a discussion is about, an article or one of its amendments, and what that changes:
// where its threads are listed and started, which live events are its own, the words that
// name the text ("the article" or "the amendment"), and what some failures mean.
import { t } from '../lib/i18n.js'
import { commentApi, commentError } from './common.js'

/** `onClosed` runs when the server says the amendment's discussion closed meanwhile. */
export function discussionScope({ slug, key, amendment, onClosed }) {
  const threadsUrl = amendment === null ? commentApi.article(slug, key) : commentApi.amendment(slug, amendment)
  const ours = (event) => (amendment === null
    ? event.article === key && !event.amendment
    : event.amendment === amendment)
  const tt = (name) => t(amendment === null ? name : `${name}_amendment`)
  /** An API failure in words; on an amendment, a 409 means it was closed meanwhile. */
  const failure = (error) => {
    if (amendment !== null && error && error.status === 409 && /discussion is closed/.test(error.message)) {
      onClosed()
      return t('comments_amendment_closed')
    }
    if (amendment !== null && error && error.status === 422 && error.field === 'anchor') {
      return tt('comment_anchor_gone')
    }
    return commentError(error)
  }
  return { threadsUrl, ours, tt, failure }
}
