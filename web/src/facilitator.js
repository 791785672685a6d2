// The facilitator's tools on the charter page, loaded only for facilitators: shape the
// outline (add, rename, reorder, move, delete), choose what the projector shows and how, invite
// people (with a QR code to show in the room) and change their roles, save and restore
// versions, and set the charter's licence and open data. Every change goes through the JSON API; the server pushes the new
// outline to everyone. Each panel is its own module in facilitator/; this one puts them
// on the page.
import { charterPath } from './lib/api.js'
import { announce } from './lib/dom.js'
import { shellData } from './lib/page.js'
import { phasePanel } from './amend/phase-panel.js'
import { invitesPanel } from './facilitator/invites.js'
import { outlineTools } from './facilitator/outline.js'
import { participantsPanel } from './facilitator/people.js'
import { projectorPanel } from './facilitator/projector.js'
import { settingsPanel } from './facilitator/settings.js'
import { versionsPanel } from './facilitator/versions.js'
import { votesPanel } from './votes/facilitator.js'

export function installTools({ state, session, side, outlineEnd, onChange, onError }) {
  const { slug } = shellData()
  const base = charterPath(slug)
  const tools = { busy: false }

  /** Run one change; the answer (the updated charter) is applied at once. */
  async function act(change, said) {
    tools.busy = true
    onError(null)
    try {
      const charter = await change()
      if (charter && charter.sections) onChange(charter)
      if (said) announce(said)
      return true
    } catch (error) {
      onError(error)
      return false
    } finally {
      tools.busy = false
    }
  }

  const projector = projectorPanel({ state, session, base, slug, act, rerender: () => tools.render(state) })
  const outline = outlineTools({ state, base, act, onError, outlineEnd, project: projector.project })
  const invites = invitesPanel({ base, onError })
  const participants = participantsPanel({ base, onError, session })
  const phase = phasePanel({ base, state, session, onError })
  const settings = settingsPanel({ base, onError })
  const versions = versionsPanel({ slug, session, onError })
  const votes = votesPanel({ state, session, slug, onError })
  side.append(projector.el, votes.el, versions.el, phase.el, invites.el, participants.el, settings.el)

  tools.render = (current) => {
    outline.render(current)
    projector.render()
    phase.render()
    votes.render()
  }
  tools.remove = () => {
    outline.remove()
    projector.remove()
    invites.el.remove()
    participants.remove()
    phase.remove()
    settings.el.remove()
    versions.remove()
    votes.remove()
  }
  return tools
}
