// Asks a Kafka broker for cluster metadata (Metadata v1, no topics) over the wire protocol and prints
// "brokers=<id>@<host>:<port>,... controller=<id>". Exits non-zero when the broker does not answer properly.
// No dependencies, so that infra scripts work before `pnpm install`.
import { connect } from 'node:net'
import process from 'node:process'
import { Buffer } from 'node:buffer'

const [host, port] = (process.argv[2] ?? '127.0.0.1:9092').split(':')
const correlationId = 0x5354
const clientId = Buffer.from('strata-infra')

const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4)
let at = body.writeInt16BE(3, 0) // api key: Metadata
at = body.writeInt16BE(1, at) // api version 1
at = body.writeInt32BE(correlationId, at)
at = body.writeInt16BE(clientId.length, at)
at += clientId.copy(body, at)
body.writeInt32BE(0, at) // an empty topic list: brokers and controller only
const request = Buffer.concat([Buffer.alloc(4), body])
request.writeInt32BE(body.length, 0)

function fail(message) {
  process.stderr.write(`kafka metadata from ${host}:${port}: ${message}\n`)
  process.exit(1)
}

function parse(response) {
  let offset = 0
  const int16 = () => ((offset += 2), response.readInt16BE(offset - 2))
  const int32 = () => ((offset += 4), response.readInt32BE(offset - 4))
  const string = () => {
    const length = int16()
    if (length < 0) return null
    offset += length
    return response.toString('utf8', offset - length, offset)
  }
  if (int32() !== correlationId) fail('unexpected correlation id')
  const brokers = []
  for (let count = int32(); count > 0; count--) {
    const id = int32()
    const brokerHost = string()
    const brokerPort = int32()
    string() // rack
    brokers.push(`${id}@${brokerHost}:${brokerPort}`)
  }
  const controller = int32()
  if (brokers.length === 0) fail('no broker registered yet')
  return `brokers=${brokers.join(',')} controller=${controller}`
}

const socket = connect({ host, port: Number(port) })
socket.setTimeout(3000, () => fail('timed out'))
socket.on('error', (error) => fail(error.message))
socket.on('connect', () => socket.write(request))
let received = Buffer.alloc(0)
socket.on('data', (chunk) => {
  received = Buffer.concat([received, chunk])
  if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return
  process.stdout.write(`${parse(received.subarray(4, 4 + received.readInt32BE(0)))}\n`)
  socket.destroy()
})
