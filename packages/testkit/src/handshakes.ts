import type { Handshake } from './servers.js'

// The first exchange of each server's own protocol: an open port held by something else does not pass.

export const redisPing: Handshake = {
  request: 'PING\r\n',
  // +PONG, or an error such as -NOAUTH from a server that wants a password: either way, a Redis answered.
  accepts: (reply) => (reply.includes('\r\n') ? reply[0] === 0x2b || reply[0] === 0x2d : undefined),
}

export const memcachedVersion: Handshake = {
  request: 'version\r\n',
  accepts: (reply) => (reply.includes('\r\n') ? reply.toString('latin1').startsWith('VERSION ') : undefined),
}

// Kafka ApiVersions v0 with correlation id 0x53540001: a broker answers with a size-prefixed frame echoing the id.
export const kafkaApiVersions: Handshake = {
  request: Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0x53, 0x54, 0, 1, 0xff, 0xff]),
  accepts: (reply) => (reply.length >= 8 ? reply.readInt32BE(4) === 0x53540001 : undefined),
}

// PostgreSQL SSLRequest: a server answers a single byte, 'S' or 'N'.
export const postgresSslRequest: Handshake = {
  request: Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]),
  accepts: (reply) => reply[0] === 0x53 || reply[0] === 0x4e,
}
