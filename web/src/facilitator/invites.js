// Invitations: create one (role, label, how long, how many uses), the open ones with their
// link to copy, their QR code to show in the room, revoke one.
import { api } from '../lib/api.js'
import { formatDate } from '../lib/dates.js'
import { announce, h, fill } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import { qrDialog } from './qr-dialog.js'

export function invitesPanel({ base, onError }) {
  const role = h('select', { name: 'role' },
    ['editor', 'commenter', 'reader', 'facilitator'].map((r) => h('option', { value: r }, t(`role_${r}`))))
  const label = h('input', { type: 'text', name: 'label', maxlength: 100, autocomplete: 'off' })
  const hours = h('input', { type: 'number', name: 'hours', min: 1, step: 1, inputmode: 'numeric' })
  const uses = h('input', { type: 'number', name: 'uses', min: 1, step: 1, inputmode: 'numeric' })
  const field = (text, input, hint) => h('label', null, h('span', { class: 'label-text' }, text),
    hint ? h('span', { class: 'hint' }, hint) : null, input)
  const form = h('form', { class: 'stack' },
    field(t('invite_role'), role),
    field(t('invite_label'), label, t('invite_label_hint')),
    field(t('invite_hours'), hours),
    field(t('invite_uses'), uses),
    h('button', { type: 'submit' }, t('create_invite')))
  const list = h('ul', { class: 'invite-list' })
  const dialog = qrDialog()
  const el = h('section', { class: 'box invites', 'aria-labelledby': 'invites-title' },
    h('h2', { id: 'invites-title' }, t('invites_title')),
    h('details', { class: 'tools' }, h('summary', null, t('new_invite')), h('div', { class: 'tools-body' }, form)),
    list, dialog.el)

  async function load() {
    try {
      const { invites } = await api('GET', `${base}/invites`)
      render(invites.filter((i) => !i.revoked))
    } catch (error) {
      onError(error)
    }
  }

  function render(invites) {
    fill(list, invites.length ? invites.map(inviteItem) : h('li', { class: 'empty' }, t('no_invites')))
  }

  function inviteItem(invite) {
    const link = h('input', { type: 'text', readonly: true, value: invite.link, class: 'link-field' })
    const title = invite.label || t(`role_${invite.role}`)
    const facts = [t(`role_${invite.role}`),
      invite.max_uses ? t('invite_used_of', { uses: invite.uses, max: invite.max_uses }) : tn('invite_used', invite.uses)]
    if (invite.expires_at) facts.push(t('invite_until', { date: formatDate(invite.expires_at) }))
    const copy = h('button', { type: 'button', class: 'secondary' }, t('copy_link'))
    copy.addEventListener('click', async () => {
      if (await copyText(link)) announce(t('copied'))
    })
    const show = h('button', { type: 'button' }, t('show_qr'))
    show.addEventListener('click', () => dialog.open(invite, show))
    const revoke = h('button', { type: 'button', class: 'danger' }, t('revoke'))
    revoke.addEventListener('click', async () => {
      if (!window.confirm(t('confirm_revoke'))) return
      try {
        await api('DELETE', `${base}/invites/${invite.id}`)
        announce(t('done_revoked'))
        await load()
        el.querySelector('h2').focus()
      } catch (error) {
        onError(error)
      }
    })
    return h('li', { class: 'invite' },
      h('p', null, h('strong', null, title), ' — ', facts.join(' · ')),
      h('label', null, h('span', { class: 'label-text' }, t('invite_link')), link),
      h('div', { class: 'button-row' }, show, copy, revoke))
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = { role: role.value }
    if (label.value.trim()) body.label = label.value.trim()
    if (hours.value) body.expires_in_hours = Number(hours.value)
    if (uses.value) body.max_uses = Number(uses.value)
    onError(null)
    try {
      const invite = await api('POST', `${base}/invites`, body)
      label.value = ''
      announce(t('done_invite'))
      await load()
      dialog.open(invite, form.querySelector('button'))
    } catch (error) {
      onError(error)
    }
  })
  el.querySelector('h2').tabIndex = -1
  load()
  return { el }
}

async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value)
    return true
  } catch {
    // Not a secure context (a workshop server on plain http): select it for Ctrl+C.
    input.focus()
    input.select()
    return document.execCommand && document.execCommand('copy')
  }
}
