// The CAP calendar service on 127.0.0.1 with an in-memory SQLite database and seeded data.
//
//   node server.js [port]        (or CAP_PORT=port node server.js; default 4004)
//
// Service:  http://127.0.0.1:<port>/odata/v4/calendar   ($metadata answering = ready)
// POST /reset                  empty the database and insert the seed data again (204)
// Environment:
//   CAP_WINDOWS_ZONES            JSON file {"Pacific Standard Time": "America/Los_Angeles", ...}
//                                for Prefer: outlook.timezone with Windows zone names
//   CAP_EXIT_ON_STDIN_EOF=1      exit when standard input closes (the parent process is gone)
//   CAP_ACTIONS_REQUIRE_IF_MATCH=1  CAP's own rule: bound actions on events need If-Match (428);
//                                by default a missing If-Match on an event action means "*"
//                                (as Graph does); a given one is still checked (412 when stale)

process.chdir(__dirname)
const cds = require('@sap/cds')
const express = require('express')
const { seed } = require('./srv/seed')

const port = Number(process.env.CAP_PORT || process.argv[2] || 4004)
const host = '127.0.0.1'

async function main() {
  const app = express()

  const csn = await cds.load('*')
  cds.model = cds.compile.for.nodejs(csn)
  const db = await cds.connect.to('db')
  await cds.deploy(csn).to(db)
  await seed(db)

  app.post('/reset', async (_req, res) => {
    try {
      await seed(db)
      res.status(204).end()
    } catch (e) {
      console.error(e)
      res.status(500).type('text/plain').send(String(e))
    }
  })

  await cds.serve('all').from(cds.model).in(app)

  const server = app.listen(port, host, () => {
    const { port: actual } = server.address()
    console.log(`READY http://${host}:${actual}/odata/v4/calendar`)
  })
  server.on('error', e => {
    console.error(e.code === 'EADDRINUSE' ? `port ${port} is in use` : e)
    process.exit(3)
  })

  if (process.env.CAP_EXIT_ON_STDIN_EOF === '1') {
    process.stdin.on('end', () => process.exit(0))
    process.stdin.on('error', () => process.exit(0))
    process.stdin.resume()
  }
}

process.on('unhandledRejection', e => console.error('unhandled rejection:', e))

main().catch(e => {
  console.error(e)
  process.exit(1)
})
