// Runs the real GitHub test-reporter actions on a JUnit file and prints what they would
// send to GitHub: the check-run annotations (file, line, title, message), as JSON.
//
//   node check.mjs ACTION_DIR WORKDIR JUNIT
//
// ACTION_DIR holds an action as published (`action.yml` and its bundled `dist/index.js`):
// dorny/test-reporter (`reporter: java-junit`) or mikepenz/action-junit-report. WORKDIR is
// a git checkout holding the scenario files (dorny resolves files against `git ls-files`),
// JUNIT a path relative to it. The action runs as GitHub's runner would run it (inputs as
// INPUT_* variables, defaults from action.yml), except that the GitHub API it talks to is
// a fake one on 127.0.0.1 that records every request: the annotations are read from the
// check runs it creates or updates. Nothing leaves the machine.
//
// Prints {"action": NAME, "annotations": [...], "exit": CODE}.

import {spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'

const [actionDir, workdir, junit] = process.argv.slice(2)
if (!actionDir || !workdir || !junit) {
  console.error('usage: node check.mjs ACTION_DIR WORKDIR JUNIT')
  process.exit(2)
}

// The inputs' defaults from action.yml (`inputs:` → `  name:` → `    default: VALUE`).
function defaults(actionYml) {
  const out = {}
  let inInputs = false
  let current = null
  for (const line of fs.readFileSync(actionYml, 'utf8').split('\n')) {
    if (/^\S/.test(line)) {
      inInputs = line.startsWith('inputs:')
      current = null
      continue
    }
    if (!inInputs) continue
    const name = line.match(/^ {2}([A-Za-z0-9_-]+):\s*$/)
    if (name) {
      current = name[1]
      continue
    }
    const dflt = line.match(/^ {4}default:\s*(.*)$/)
    if (current && dflt) {
      let v = dflt[1].trim()
      if ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"'))) v = v.slice(1, -1)
      if (!v.includes('${{')) out[current] = v
    }
  }
  return out
}

const yml = fs.readFileSync(path.join(actionDir, 'action.yml'), 'utf8')
const action = /Test Reporter/.test(yml) ? 'dorny/test-reporter' : 'mikepenz/action-junit-report'
const inputs = {
  ...defaults(path.join(actionDir, 'action.yml')),
  token: 'fake-token',
  github_token: 'fake-token'
}
if (action === 'dorny/test-reporter') {
  Object.assign(inputs, {name: 'fletsim', path: junit, reporter: 'java-junit', 'use-actions-summary': 'false'})
} else {
  Object.assign(inputs, {report_paths: junit})
}

// The fake GitHub API: every request is recorded; check runs get an id.
const requests = []
const server = http.createServer((req, res) => {
  let body = ''
  req.on('data', c => (body += c))
  req.on('end', () => {
    let json = null
    try {
      json = body ? JSON.parse(body) : null
    } catch {
      json = body
    }
    requests.push({method: req.method, url: req.url, body: json})
    res.writeHead(req.method === 'POST' ? 201 : 200, {'content-type': 'application/json'})
    res.end(
      JSON.stringify({
        id: 1,
        html_url: 'http://127.0.0.1/check/1',
        url: 'http://127.0.0.1/check/1',
        check_runs: [],
        total_count: 0,
        workflow_runs: [],
        jobs: [],
        artifacts: []
      })
    )
  })
})
await new Promise(r => server.listen(0, '127.0.0.1', r))
const port = server.address().port

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reporter-'))
const event = path.join(tmp, 'event.json')
fs.writeFileSync(event, JSON.stringify({repository: {owner: {login: 'o'}, name: 'r'}}))
for (const f of ['summary.md', 'output', 'state', 'env', 'path']) fs.writeFileSync(path.join(tmp, f), '')

const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME ?? tmp,
  GITHUB_ACTIONS: 'true',
  GITHUB_API_URL: `http://127.0.0.1:${port}`,
  GITHUB_SERVER_URL: `http://127.0.0.1:${port}`,
  GITHUB_GRAPHQL_URL: `http://127.0.0.1:${port}/graphql`,
  GITHUB_REPOSITORY: 'o/r',
  GITHUB_REPOSITORY_OWNER: 'o',
  GITHUB_SHA: '0'.repeat(40),
  GITHUB_REF: 'refs/heads/main',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_EVENT_PATH: event,
  GITHUB_WORKSPACE: workdir,
  GITHUB_RUN_ID: '1',
  GITHUB_RUN_NUMBER: '1',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'sweep',
  GITHUB_WORKFLOW: 'ci',
  GITHUB_ACTION: 'report',
  GITHUB_STEP_SUMMARY: path.join(tmp, 'summary.md'),
  GITHUB_OUTPUT: path.join(tmp, 'output'),
  GITHUB_STATE: path.join(tmp, 'state'),
  GITHUB_ENV: path.join(tmp, 'env'),
  GITHUB_PATH: path.join(tmp, 'path'),
  RUNNER_TEMP: tmp,
  RUNNER_OS: 'Linux'
}
for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v

// The actions declare node24; under an older node, node-shim.mjs supplies the two node 22
// functions their bundles call (see there).
const shim = new URL('./node-shim.mjs', import.meta.url).href
const child = spawn(process.execPath, ['--import', shim, path.join(path.resolve(actionDir), 'dist', 'index.js')], {
  cwd: workdir,
  env,
  stdio: ['ignore', 'pipe', 'pipe']
})
let log = ''
child.stdout.on('data', d => (log += d))
child.stderr.on('data', d => (log += d))
const timer = setTimeout(() => child.kill('SIGKILL'), 120000)
const exit = await new Promise(r => child.on('close', code => r(code)))
clearTimeout(timer)
server.close()
fs.rmSync(tmp, {recursive: true, force: true})

const annotations = requests
  .filter(r => r.url.includes('/check-runs') && r.body && r.body.output && r.body.output.annotations)
  .flatMap(r => r.body.output.annotations)
  .map(a => ({path: a.path, line: a.start_line, title: a.title, message: a.message}))
console.log(JSON.stringify({action, annotations, exit, log: annotations.length ? undefined : log}, null, 1))
