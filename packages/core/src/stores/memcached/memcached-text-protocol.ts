import { connect } from 'node:net'

/**
 * The few admin commands the `memcached` client does not offer (or offers through its failure machinery), sent on a
 * short-lived socket of their own: the health probe, flush_all on revival, and key listing for clear().
 */
export async function rawCommand(address: string, command: string, timeoutMs: number, done: (reply: string) => boolean): Promise<string> {
  const colon = address.lastIndexOf(':')
  const host = address.slice(0, colon)
  const port = Number(address.slice(colon + 1))
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    let reply = ''
    const finish = (error: Error | undefined): void => {
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(reply)
    }
    const timer = setTimeout(() => finish(new Error(`memcached ${address} did not answer \`${command.trim()}\` within ${timeoutMs} ms`)), timeoutMs)
    socket.setEncoding('latin1')
    socket.setNoDelay(true)
    socket.once('connect', () => socket.write(command))
    socket.on('data', (chunk: string) => {
      reply += chunk
      if (done(reply)) finish(undefined)
    })
    socket.once('error', (error) => finish(error))
    socket.once('close', () => finish(new Error(`memcached ${address} closed the connection during \`${command.trim()}\``)))
  })
}

export interface ProbeResult {
  version: string
  itemSizeMax: number
}

/** `version` + `stats settings`: proves the server answers the protocol (not just accepts TCP) and reads its item limit. */
export async function probe(address: string, timeoutMs: number): Promise<ProbeResult> {
  const reply = await rawCommand(address, 'version\r\nstats settings\r\n', timeoutMs, (text) => text.endsWith('END\r\n') || /ERROR[^\n]*\r\n$/.test(text))
  const version = /^VERSION (\S+)/m.exec(reply)?.[1]
  if (version === undefined) throw new Error(`memcached ${address} answered the probe with ${JSON.stringify(reply.slice(0, 80))}`)
  const itemSizeMax = Number(/^STAT item_size_max (\d+)/m.exec(reply)?.[1] ?? 1024 * 1024)
  return { version, itemSizeMax }
}

export async function flushAll(address: string, timeoutMs: number): Promise<void> {
  const reply = await rawCommand(address, 'flush_all\r\n', timeoutMs, (text) => text.endsWith('\r\n'))
  if (!reply.startsWith('OK')) throw new Error(`memcached ${address} refused flush_all: ${reply.trim()}`)
}

/**
 * Every key the server holds, from `lru_crawler metadump all` (memcached ≥ 1.4.31; the LRU crawler is on by default
 * since 1.5). Like SCAN, keys written while the crawl runs may be missed. Undefined when another crawl is running.
 */
export async function listKeys(address: string, timeoutMs: number): Promise<string[] | undefined> {
  const reply = await rawCommand(address, 'lru_crawler metadump all\r\n', timeoutMs, (text) =>
    // Key lines end in a bare \n; only the closing END has \r\n.
    text === 'END\r\n' || text.endsWith('\nEND\r\n') || (/^(BUSY|ERROR|CLIENT_ERROR|SERVER_ERROR)/.test(text) && text.endsWith('\r\n')),
  )
  if (reply.startsWith('BUSY')) return undefined
  if (/^(ERROR|CLIENT_ERROR|SERVER_ERROR)/.test(reply)) {
    throw new Error(`memcached ${address} cannot list its keys (is the LRU crawler disabled?): ${reply.trim()}`)
  }
  const keys: string[] = []
  for (const line of reply.split(/\r?\n/)) {
    if (!line.startsWith('key=')) continue
    const end = line.indexOf(' ')
    keys.push(decodeURIComponent(line.slice(4, end === -1 ? undefined : end)))
  }
  return keys
}
