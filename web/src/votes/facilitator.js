// The facilitator's controls of the room's votes, on the charter page: open a vote on an
// article, the whole charter (bundles of amendments are opened from the bundles' page) with
// its scale, secrecy, duration and question; while it is open, its count of ballots, put
// its result on the projector, close it — or close it and open the same vote on the next
// article ("each article in turn").
import { api, charterPath } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { ballotsText, subjectText } from './common.js'

const DURATIONS = [null, 30, 60, 120, 300, 600]

let panels = 0

export function votesPanel({ state, session, slug, onError }) {
  const base = `${charterPath(slug)}/votes`
  const id = `room-votes-${++panels}`
  const subject = h('select', { id: `${id}-subject`, name: 'subject' })
  const scale = h('select', { id: `${id}-scale`, name: 'scale' },
    h('option', { value: 'consent' }, t('room_votes_scale_consent')),
    h('option', { value: 'simple' }, t('room_votes_scale_simple')))
  const secret = h('input', { type: 'checkbox', id: `${id}-secret`, name: 'secret' })
  const duration = h('select', { id: `${id}-duration`, name: 'duration' },
    DURATIONS.map((s) => h('option', { value: s === null ? '' : String(s) }, durationText(s))))
  const question = h('input', { type: 'text', id: `${id}-question`, name: 'question', maxlength: 500, autocomplete: 'off' })
  const field = (input, text) => h('div', { class: 'field' }, h('label', { for: input.id }, text), input)
  const form = h('form', { class: 'stack vote-open-form' },
    field(subject, t('room_votes_subject')),
    field(scale, t('room_votes_scale')),
    h('div', { class: 'field check' }, secret, ' ', h('label', { for: secret.id }, t('room_votes_secret_label'))),
    field(duration, t('room_votes_duration')),
    field(question, t('room_votes_question')),
    h('button', { type: 'submit' }, t('room_votes_open')))
  const status = h('p', { class: 'vote-status' })
  const project = h('button', { type: 'button', class: 'secondary', onclick: () => toProjector() }, t('room_votes_project'))
  const close = h('button', { type: 'button', class: 'danger', onclick: () => closeVote(false) }, t('room_votes_close'))
  const next = h('button', { type: 'button', class: 'secondary', onclick: () => closeVote(true) }, t('room_votes_close_next'))
  const running = h('div', { class: 'vote-running', hidden: true }, status, h('p', { class: 'button-row' }, project, close, next))
  const el = h('section', { class: 'box votes-tools', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, t('room_votes_tools')), running, form)
  let current = null // the open vote, or the last one closed here
  let last = null // the settings of the last vote opened: "next article" reuses them

  function durationText(seconds) {
    if (seconds === null) return t('room_votes_duration_none')
    return seconds < 60 ? t('room_votes_duration_seconds', { n: seconds }) : t('room_votes_duration_minutes', { n: seconds / 60 })
  }

  const articles = () => state.charter.sections.flatMap((s) => s.articles)

  function renderSubjects() {
    const chosen = subject.value
    fill(subject, h('option', { value: '' }, t('room_vote_subject_charter')),
      articles().map((a) => h('option', { value: a.id }, subjectText({ kind: 'article', title: a.title }))))
    subject.value = articles().some((a) => a.id === chosen) ? chosen : ''
  }

  async function run(work, said) {
    onError(null)
    try {
      await work()
      if (said) announce(said)
    } catch (error) {
      onError(error)
    }
  }

  function open(settings) {
    return run(async () => {
      current = await api('POST', base, settings)
      last = settings
      render()
    }, t('room_votes_opened'))
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const key = subject.value
    open({
      subject: key ? { kind: 'article', article: key } : { kind: 'charter' },
      scale: scale.value,
      secret: secret.checked,
      duration_seconds: duration.value ? Number(duration.value) : null,
      question: question.value.trim() || null,
    })
  })

  function nextArticle() {
    if (!current || current.subject.kind !== 'article') return null
    const list = articles()
    const at = list.findIndex((a) => a.id === current.subject.article)
    return at >= 0 && at + 1 < list.length ? list[at + 1] : null
  }

  function closeVote(andNext) {
    const following = andNext ? nextArticle() : null
    return run(async () => {
      current = await api('POST', `${base}/${current.id}/close`)
      render()
      if (following) {
        const settings = { ...(last || {}), subject: { kind: 'article', article: following.id }, question: last?.question ?? null }
        current = await api('POST', base, settings)
        last = settings
        subject.value = following.id
        render()
        announce(t('room_votes_opened'))
      }
    }, following ? null : t('room_votes_closed'))
  }

  function toProjector() {
    return run(async () => {
      await api('PUT', `${charterPath(slug)}/projector`, {
        article: state.charter.projector ?? null, view: { mode: 'vote', vote: current.id },
      })
    }, t('room_votes_projected'))
  }

  function render() {
    const open = Boolean(current && current.status === 'open')
    running.hidden = !current
    form.hidden = open
    if (current) {
      fill(status, open
        ? t('room_votes_open_now', { subject: subjectText(current.subject), ballots: ballotsText(current) })
        : [t('room_vote_closed_title'), ' — ', subjectText(current.subject)])
      close.hidden = !open
      next.hidden = !open || !nextArticle()
    }
  }

  async function load() {
    try {
      const { votes } = await api('GET', base)
      current = votes.find((v) => v.status === 'open') || current
      render()
    } catch (error) {
      onError(error)
    }
  }

  const stop = session.on('vote', (event) => {
    if (!current || event.vote.id === current.id || event.event === 'opened') {
      current = event.vote
      render()
    }
  })
  renderSubjects()
  load()

  return {
    el,
    render() { renderSubjects(); render() },
    remove() { stop(); el.remove() },
  }
}
