const cds = require('@sap/cds')

// The seed data: three users, their calendar groups and calendars, 22 events (19 of them
// Adele's, the `me` user), attachments. All times are UTC. The tests in
// tests/integration/test_cap.py assert on these exact values: change both together.

const users = [
  { id: 'adele', displayName: 'Adele Vance', mail: 'AdeleV@contoso.com', userPrincipalName: 'AdeleV@contoso.com' },
  { id: 'megan', displayName: 'Megan Bowen', mail: 'MeganB@contoso.com', userPrincipalName: 'MeganB@contoso.com' },
  { id: 'alex', displayName: 'Alex Wilber', mail: 'AlexW@contoso.com', userPrincipalName: 'AlexW@contoso.com' },
]

const calendarGroups = [
  { id: 'adele-my', name: 'My Calendars', classId: '0006f0b7-0000-0000-c000-000000000046', changeKey: 'g1', owner_id: 'adele' },
  { id: 'adele-other', name: 'Other Calendars', classId: '0006f0b8-0000-0000-c000-000000000046', changeKey: 'g2', owner_id: 'adele' },
  { id: 'megan-my', name: 'My Calendars', classId: '0006f0b7-0000-0000-c000-000000000046', changeKey: 'g3', owner_id: 'megan' },
]

const calendars = [
  { id: 'adele-calendar', name: 'Calendar', color: 'auto', isDefaultCalendar: true, canEdit: true, owner_id: 'adele', calendarGroup_id: 'adele-my' },
  { id: 'adele-holidays', name: 'United States holidays', color: 'lightGreen', isDefaultCalendar: false, canEdit: false, owner_id: 'adele', calendarGroup_id: 'adele-other' },
  { id: 'megan-calendar', name: 'Calendar', color: 'lightBlue', isDefaultCalendar: true, canEdit: true, owner_id: 'megan', calendarGroup_id: 'megan-my' },
]

// The key of one event holds every character that needs care in a URL key: / + = '
const SPECIAL_ID = "AAMkAD/Lunch+O'Neil=="

const megan = { name: 'Megan Bowen', address: 'MeganB@contoso.com' }
const alex = { name: 'Alex Wilber', address: 'AlexW@contoso.com' }
const adele = { name: 'Adele Vance', address: 'AdeleV@contoso.com' }

// [id, subject, start, end, importance, showAs, categories, location, response, created (2024-MM-DDTHH), extra]
const rows = [
  ['evt-01', 'All hands meeting', '05-01T16:00', '05-01T17:00', 'high', 'busy', ['Company', 'Blue'], 'Auditorium', 'accepted', '04-01T08',
    { attendees: [{ type: 'required', emailAddress: megan }, { type: 'optional', emailAddress: alex }] }],
  ['evt-02', 'Architecture review', '05-02T13:00', '05-02T14:30', 'normal', 'busy', ['Engineering'], 'Room 1', 'none', '04-02T09'],
  ['evt-03', 'Budget planning', '05-03T09:00', '05-03T10:00', 'high', 'busy', ['Finance'], 'Room 2', 'notResponded', '04-03T10'],
  ['evt-04', 'Coffee with Megan', '05-03T15:00', '05-03T15:30', 'low', 'free', ['Personal'], 'Cafeteria', 'organizer', '04-04T11',
    { attendees: [{ type: 'required', emailAddress: megan }] }],
  ['evt-05', 'Weekly 1:1 with Megan', '05-06T10:00', '05-06T10:30', 'normal', 'busy', ['Engineering', 'Personal'], "Megan's office", 'organizer', '03-15T12',
    {
      type: 'seriesMaster',
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' },
        range: { type: 'endDate', startDate: '2024-05-06', endDate: '2024-07-29', recurrenceTimeZone: 'UTC' },
      },
    }],
  ['evt-06', 'Design sync', '05-07T10:00', '05-07T11:00', 'normal', 'tentative', ['Engineering', 'Blue'], 'Room 1', 'tentativelyAccepted', '04-06T13'],
  ['evt-07', 'Quarterly business review', '05-08T14:00', '05-08T16:00', 'high', 'busy', ['Finance', 'Company'], 'Auditorium', 'accepted', '04-07T14'],
  ['evt-08', 'Team offsite', '05-09T00:00', '05-10T00:00', 'normal', 'oof', ['Company'], 'Lake house', 'accepted', '04-08T15', { isAllDay: true, isReminderOn: false }],
  ['evt-09', 'Customer demo', '05-13T17:00', '05-13T18:00', 'high', 'busy', ['Sales'], 'Online', 'accepted', '04-09T16'],
  ['evt-10', 'Dentist', '05-14T08:00', '05-14T09:00', 'low', 'oof', ['Personal'], 'Downtown clinic', 'organizer', '04-10T17', { reminderMinutesBeforeStart: 60 }],
  ['evt-11', 'Hiring committee', '05-15T13:00', '05-15T14:00', 'normal', 'busy', [], 'Room 3', 'declined', '04-11T18'],
  [SPECIAL_ID, "Lunch with O'Neil", '05-16T12:00', '05-16T13:00', 'low', 'free', ['Personal'], "O'Neil's Diner", 'none', '04-12T19'],
  ['evt-13', 'Product launch', '05-17T15:00', '05-17T16:00', 'high', 'busy', ['Sales', 'Company'], 'Auditorium', 'notResponded', '04-13T20'],
  ['evt-14', 'Retrospective', '05-20T15:00', '05-20T16:00', 'normal', 'busy', ['Engineering'], 'Room 2', 'none', '04-14T21'],
  ['evt-15', 'Security training', '05-21T09:00', '05-21T11:00', 'normal', 'workingElsewhere', ['Training'], 'Online', 'accepted', '04-15T22'],
  ['evt-16', 'Sprint planning', '05-22T09:00', '05-22T10:30', 'normal', 'busy', ['Engineering', 'Blue'], 'Room 1', 'accepted', '04-16T23'],
  ['evt-17', 'Yoga class', '05-23T18:00', '05-23T19:00', 'low', 'free', ['Personal'], 'Gym', 'organizer', '04-17T07'],
  ['hol-01', 'Memorial Day', '05-27T00:00', '05-28T00:00', 'low', 'free', ['Holiday'], 'United States', 'none', '01-02T08', { isAllDay: true, isReminderOn: false }],
  ['hol-02', 'Independence Day', '07-04T00:00', '07-05T00:00', 'low', 'free', ['Holiday'], 'United States', 'none', '01-02T09', { isAllDay: true, isReminderOn: false }],
  ['meg-01', 'All hands meeting', '05-01T16:00', '05-01T17:00', 'high', 'busy', ['Company'], 'Auditorium', 'accepted', '04-01T08'],
  ['meg-02', 'Marketing sync', '05-02T10:00', '05-02T11:00', 'normal', 'busy', ['Marketing'], 'Room 5', 'organizer', '04-02T10',
    { attendees: [{ type: 'required', emailAddress: adele }] }],
  ['meg-03', 'Campaign launch', '05-15T16:00', '05-15T17:00', 'high', 'busy', ['Marketing', 'Sales'], 'Online', 'organizer', '04-20T10'],
]

const wall = t => `2024-${t}:00.0000000`

function events() {
  return rows.map(([id, subject, start, end, importance, showAs, categories, location, response, created, extra]) => {
    const owner = id.startsWith('meg-') ? 'megan' : 'adele'
    const calendar = id.startsWith('meg-') ? 'megan-calendar' : id.startsWith('hol-') ? 'adele-holidays' : 'adele-calendar'
    return {
      id,
      changeKey: `${id.length}-seed-${rows.findIndex(r => r[0] === id)}`,
      createdDateTime: `2024-${created}:00:00.000Z`,
      lastModifiedDateTime: `2024-${created}:30:00.000Z`,
      subject,
      bodyPreview: `${subject} (${location})`,
      importance,
      isAllDay: false,
      isCancelled: false,
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      start: { dateTime: wall(start), timeZone: 'UTC' },
      end: { dateTime: wall(end), timeZone: 'UTC' },
      showAs,
      type: 'singleInstance',
      categories,
      location: { displayName: location, locationType: location === 'Online' ? 'default' : 'conferenceRoom' },
      attendees: [],
      responseStatus: { response, time: response === 'none' ? null : `2024-${created}:45:00.000Z` },
      owner_id: owner,
      calendar_id: calendar,
      ...extra,
    }
  })
}

const attachments = [
  { id: 'att-01', name: 'agenda.pdf', contentType: 'application/pdf', size: 1024, isInline: false, lastModifiedDateTime: '2024-04-01T08:10:00.000Z', event_id: 'evt-01' },
  { id: 'att-02', name: 'slides.pptx', contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', size: 204800, isInline: false, lastModifiedDateTime: '2024-04-01T08:20:00.000Z', event_id: 'evt-01' },
  { id: 'att-03', name: 'logo.png', contentType: 'image/png', size: 512, isInline: true, lastModifiedDateTime: '2024-04-01T08:30:00.000Z', event_id: 'evt-01' },
  { id: 'att-04', name: 'budget.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: 40960, isInline: false, lastModifiedDateTime: '2024-04-03T10:10:00.000Z', event_id: 'evt-03' },
  // contentBytes: base64 of "Soup of the day: tomato\n"
  { id: 'att-05', name: 'menu.txt', contentType: 'text/plain', size: 24, isInline: false, lastModifiedDateTime: '2024-04-12T19:10:00.000Z', event_id: SPECIAL_ID,
    contentBytes: Buffer.from('Soup of the day: tomato\n').toString('base64') },
]

// Structured elements are stored flat (start_dateTime); arrays ("many") stay as they are.
function flat(row, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(row)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) flat(v, `${prefix}${k}_`, out)
    else out[prefix + k] = v
  }
  return out
}

/** Empty every table and insert the seed data (the database service `db`). */
async function seed(db) {
  const { Users, CalendarGroups, Calendars, Events, Attachments } = cds.entities('odatakit.calendar')
  for (const entity of [Attachments, Events, Calendars, CalendarGroups, Users]) await db.run(DELETE.from(entity))
  await db.run(INSERT.into(Users).entries(users))
  await db.run(INSERT.into(CalendarGroups).entries(calendarGroups))
  await db.run(INSERT.into(Calendars).entries(calendars))
  await db.run(INSERT.into(Events).entries(events().map(e => flat(e))))
  await db.run(INSERT.into(Attachments).entries(attachments))
}

module.exports = { seed, SPECIAL_ID }
