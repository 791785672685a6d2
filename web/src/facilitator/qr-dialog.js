// An invitation's link as a large QR code, in a modal dialog, to show in the room.
import QRCode from 'qrcode'
import { h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'

export function qrDialog() {
  const heading = h('h2', { id: 'qr-title' })
  const canvas = h('canvas', { class: 'qr', role: 'img' })
  const linkText = h('p', { class: 'qr-link' })
  const close = h('button', { type: 'button' }, t('close'))
  const el = h('dialog', { class: 'qr-dialog', 'aria-labelledby': 'qr-title' },
    heading, h('p', { class: 'qr-hint' }, t('qr_hint')), canvas, linkText, close)
  let returnTo = null
  close.addEventListener('click', () => el.close())
  el.addEventListener('close', () => returnTo?.focus())
  return {
    el,
    /** Show `invite`; focus goes back to `opener` when the dialog closes. */
    async open(invite, opener) {
      returnTo = opener
      heading.textContent = t('qr_title', { role: t(`role_${invite.role}`) })
      canvas.setAttribute('aria-label', t('qr_label', { role: t(`role_${invite.role}`) }))
      linkText.textContent = invite.link
      await QRCode.toCanvas(canvas, invite.link, { errorCorrectionLevel: 'M', margin: 2, width: 512 })
      el.showModal()
      close.focus()
    },
  }
}
