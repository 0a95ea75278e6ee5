// Handlers of CalendarService: server-managed event fields (changeKey is the ETag), the bound
// actions that answer, cancel and snooze events, the calendarView functions, and
// `Prefer: outlook.timezone`.

const cds = require('@sap/cds')
const { applyZone, preferredZone } = require('./timezones')

const EVENT_ACTIONS = ['accept', 'decline', 'tentativelyAccept', 'cancel', 'snoozeReminder', 'dismissReminder']

// The signed-in user: the `me` singleton.
const ME = 'adele'

const GRAPH_WALL = d => d.toISOString().slice(0, 19) + '.0000000'

module.exports = class CalendarService extends cds.ApplicationService {
  init() {
    const { Events, Calendars } = cds.entities('odatakit.calendar')
    const { events } = this.entities

    // -- server-managed fields -----------------------------------------------------------------
    this.before('CREATE', events, async req => {
      const d = req.data
      const now = new Date().toISOString()
      d.changeKey = cds.utils.uuid()
      d.createdDateTime = d.lastModifiedDateTime = now
      if (!d.id) d.id = 'evt-' + cds.utils.uuid()
      if (!d.type) d.type = d.recurrence_pattern_type || d.recurrence?.pattern?.type ? 'seriesMaster' : 'singleInstance'
      if (!d.responseStatus_response && !d.responseStatus?.response) {
        d.responseStatus_response = 'organizer'
        d.responseStatus_time = now
      }
      // Created through me/events (CAP knows no backlink from the singleton) or /events without
      // owner nor calendar: the signed-in user's, as Graph's POST /me/events.
      if (!d.owner_id && !d.calendar_id) d.owner_id = ME
      // Created through me/events or users('x')/events: into the user's default calendar.
      if (!d.calendar_id && d.owner_id) {
        const cal = await SELECT.one.from(Calendars).columns('id').where({ owner_id: d.owner_id, isDefaultCalendar: true })
        if (cal) d.calendar_id = cal.id
      }
      // Created through calendars('x')/events (or with calendar_id): owned by the calendar's owner.
      if (!d.owner_id && d.calendar_id) {
        const cal = await SELECT.one.from(Calendars).columns('owner_id').where({ id: d.calendar_id })
        if (cal) d.owner_id = cal.owner_id
      }
    })

    this.before('UPDATE', events, req => {
      req.data.changeKey = cds.utils.uuid()
      req.data.lastModifiedDateTime = new Date().toISOString()
    })

    // -- bound actions -----------------------------------------------------------------------------
    // CAP's own rule is that bound actions on an entity with an ETag need If-Match (428 without).
    // Here a missing If-Match on an event action means "*" (Graph and Outlook do not ask for one);
    // a given If-Match is still checked (412 when stale). CAP_ACTIONS_REQUIRE_IF_MATCH=1 restores
    // CAP's rule. Registered as an `_initial` handler before the generic ones, so it runs first,
    // also for requests inside $batch.
    if (process.env.CAP_ACTIONS_REQUIRE_IF_MATCH !== '1') {
      const ifMatchOptional = req => {
        if (req.headers && !req.headers['if-match'] && !req.headers['if-none-match']) req.headers['if-match'] = '*'
      }
      ifMatchOptional._initial = true
      this.before(EVENT_ACTIONS, events, ifMatchOptional)
    }

    const change = async (req, values) => {
      const id = eventKey(req)
      const n = await UPDATE(Events, id).with({
        ...values,
        changeKey: cds.utils.uuid(),
        lastModifiedDateTime: new Date().toISOString(),
      })
      if (!n) req.reject(404, `Event '${id}' does not exist`)
    }
    const answer = response => async req => {
      const { comment, sendResponse } = req.data
      const id = eventKey(req)
      const event = await SELECT.one.from(Events).columns('responseStatus_response').where({ id })
      if (!event) return req.reject(404, `Event '${id}' does not exist`)
      if (event.responseStatus_response === 'organizer') {
        return req.reject({ status: 400, code: 'ErrorInvalidRequest', message: "You can't respond to a meeting you organize" })
      }
      await change(req, {
        responseStatus_response: response,
        responseStatus_time: new Date().toISOString(),
        responseComment: comment ?? null,
        responseSent: sendResponse ?? true,
        showAs: response === 'declined' ? 'free' : response === 'tentativelyAccepted' ? 'tentative' : 'busy',
      })
    }
    this.on('accept', events, answer('accepted'))
    this.on('decline', events, answer('declined'))
    this.on('tentativelyAccept', events, answer('tentativelyAccepted'))

    this.on('cancel', events, async req => {
      const id = eventKey(req)
      const event = await SELECT.one.from(Events).columns('responseStatus_response').where({ id })
      if (!event) return req.reject(404, `Event '${id}' does not exist`)
      if (event.responseStatus_response !== 'organizer') {
        return req.reject({ status: 400, code: 'ErrorAccessDenied', message: 'Only the organizer can cancel a meeting' })
      }
      await change(req, { isCancelled: true, responseComment: req.data.comment ?? null })
    })

    this.on('snoozeReminder', events, async req => {
      const t = req.data.newReminderTime
      if (!t || !t.dateTime) return req.reject(400, 'newReminderTime.dateTime is required')
      await change(req, {
        isReminderOn: true,
        reminderSnoozedUntil_dateTime: t.dateTime,
        reminderSnoozedUntil_timeZone: t.timeZone || 'UTC',
      })
    })

    this.on('dismissReminder', events, async req => {
      await change(req, { isReminderOn: false, reminderSnoozedUntil_dateTime: null, reminderSnoozedUntil_timeZone: null })
    })

    // -- calendarView ----------------------------------------------------------------------------
    // The events overlapping [startDateTime, endDateTime), ordered by start. The query options of
    // the request ($filter, $select, $expand, $orderby, $top, $skip, $search) apply to the result,
    // as if it were an entity set; it is not paged (no nextLink) and $count adds no count.
    const calendarView = where => async req => {
      const { startDateTime, endDateTime } = req.data
      const start = new Date(startDateTime)
      const end = new Date(endDateTime)
      if (isNaN(start) || isNaN(end)) return req.reject(400, 'startDateTime and endDateTime are required')
      const options = req.query?.SELECT ?? {}
      const query = SELECT.from(events).where({
        ...where(req),
        start_dateTime: { '<': GRAPH_WALL(end) },
        end_dateTime: { '>': GRAPH_WALL(start) },
      })
      if (options.where) query.SELECT.where = [{ xpr: query.SELECT.where }, 'and', { xpr: options.where }]
      if (options.columns) query.SELECT.columns = options.columns
      if (options.search) query.SELECT.search = options.search
      if (options.limit) query.SELECT.limit = options.limit
      query.SELECT.orderBy = options.orderBy ?? [{ ref: ['start_dateTime'] }, { ref: ['id'] }]
      return applyPrefer(req, await cds.db.run(query))
    }
    this.on('calendarView', 'users', calendarView(req => ({ owner_id: keyOf(req) })))
    this.on('calendarView', 'me', calendarView(() => ({ owner_id: ME })))
    this.on('calendarView', 'calendars', calendarView(req => ({ calendar_id: keyOf(req) })))

    // -- Prefer: outlook.timezone on reads -------------------------------------------------------
    this.after('READ', events, (result, req) => {
      applyPrefer(req, result)
    })

    // sql.js reports a duplicate key without the SQLite error code CAP maps to 400: without this
    // a second POST with the same id answers 500. 409 Conflict, as Graph answers.
    this.on('error', err => {
      if (/UNIQUE constraint failed/.test(err.message) && !err.status) {
        err.status = 409
        err.code = 'ENTITY_ALREADY_EXISTS'
        err.message = 'Entity already exists'
      }
    })

    return super.init()
  }
}

function keyOf(req) {
  const p = req.params?.[0]
  return p && typeof p === 'object' ? p.id : p
}

function eventKey(req) {
  // The event of a bound action, also when reached by navigation (me/events('x')/accept).
  return keyOf({ params: req.params?.slice(-1) })
}

function applyPrefer(req, rows) {
  const zone = preferredZone(req.headers?.prefer)
  if (zone && applyZone(rows, zone)) {
    const res = req.http?.res
    if (res && !res.headersSent) {
      const applied = res.getHeader('Preference-Applied')
      const value = `outlook.timezone="${zone.replace(/(["\\])/g, '\\$1')}"`
      res.setHeader('Preference-Applied', applied ? `${applied}, ${value}` : value)
    }
  }
  return rows
}
