// `Prefer: outlook.timezone="<zone>"`: event times converted to a Windows or IANA time zone.
//
// Windows zone names ("Pacific Standard Time") are mapped to IANA names with the JSON object
// in the file named by CAP_WINDOWS_ZONES (the test launcher writes it from tzlocal's copy of
// the Unicode CLDR windowsZones table); IANA names and "UTC" work without it.

const fs = require('fs')

let windowsZones = {}
if (process.env.CAP_WINDOWS_ZONES) {
  windowsZones = JSON.parse(fs.readFileSync(process.env.CAP_WINDOWS_ZONES, 'utf8'))
}

/** The IANA name for a Windows or IANA zone name, or null when Intl does not know it. */
function ianaZone(name) {
  if (!name) return null
  const candidate = windowsZones[name] || name
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: candidate })
    return candidate
  } catch {
    return null
  }
}

/** The value of the `outlook.timezone` preference in a Prefer header, or null. */
function preferredZone(prefer) {
  if (!prefer) return null
  for (const part of prefer.split(',')) {
    const m = /^\s*outlook\.timezone\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;,]+))/i.exec(part)
    if (m) return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]
  }
  return null
}

const formatters = new Map()
function formatter(zone) {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    })
    formatters.set(zone, f)
  }
  return f
}

/** Milliseconds since the epoch as wall-clock milliseconds in `zone` (a UTC-based number). */
function wallMillis(ms, zone) {
  const p = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map(x => [x.type, x.value]))
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) + (ms % 1000 + 1000) % 1000
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/

/** Graph's wall-clock text ("2024-05-01T09:00:00.0000000") in `fromZone` → the same instant in `toZone`. */
function convertWall(text, fromZone, toZone) {
  const m = WALL.exec(text || '')
  if (!m) return null
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0), Number(((m[7] || '') + '000').slice(0, 3)))
  // The instant whose wall time in fromZone is `wall` (two corrections settle DST edges).
  let instant = wall
  for (let i = 0; i < 2; i++) instant = wall - (wallMillis(instant, fromZone) - instant)
  const out = new Date(wallMillis(instant, toZone)).toISOString() // YYYY-MM-DDTHH:MM:SS.mmmZ
  return out.slice(0, 19) + '.' + (out.slice(20, 23) + '0000')
}

const FIELDS = ['start', 'end']

/** Rewrite the start/end of event rows (flat `start_dateTime` or nested `start.dateTime`) into `name`. */
function applyZone(rows, name) {
  const target = ianaZone(name)
  if (!target) return false
  for (const row of Array.isArray(rows) ? rows : [rows]) {
    if (!row) continue
    for (const f of FIELDS) {
      const nested = row[f] && typeof row[f] === 'object'
      const dt = nested ? row[f].dateTime : row[`${f}_dateTime`]
      const tz = nested ? row[f].timeZone : row[`${f}_timeZone`]
      if (dt === undefined) continue
      const from = ianaZone(tz || 'UTC')
      if (!from) continue
      const converted = convertWall(dt, from, target)
      if (!converted) continue
      if (nested) Object.assign(row[f], { dateTime: converted, timeZone: name })
      else Object.assign(row, { [`${f}_dateTime`]: converted, [`${f}_timeZone`]: name })
    }
  }
  return true
}

module.exports = { applyZone, convertWall, ianaZone, preferredZone }
