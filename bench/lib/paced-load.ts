import { Agent, request } from 'node:http'

export interface PacedResult {
  /** Requests answered (any status). */
  requests: number
  /** Connection errors and non-2xx answers. */
  errors: number
  /** The first few error messages or statuses, to say what failed. */
  errorSamples: string[]
  /** Requests that could not be sent on time because every connection was busy (the target fell behind). */
  late: number
}

/**
 * An open-loop load at an even rate: request i is due at start + i / rate, whatever the answers do, sent on one of
 * `connections` keep-alive connections. Why not autocannon's `overallRate`: it gives each connection a per-second
 * quota that it spends back to back at the top of every second, so "1,500 req/s" is a burst at full speed and 900 ms
 * of silence — the serving processes then batch work per wake-up, and the CPU a request costs depends on how many
 * processes split the burst. Evenly spaced requests measure what one request costs a fleet.
 */
export async function pacedLoad(
  url: string,
  options: { rate: number; durationS: number; connections: number; headers?: Record<string, string> },
): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections })
  const target = new URL(url)
  const result: PacedResult = { requests: 0, errors: 0, errorSamples: [], late: 0 }
  const total = Math.round(options.rate * options.durationS)
  let inFlight = 0
  let sent = 0
  const failed = (what: string) => {
    result.errors++
    if (result.errorSamples.length < 5) result.errorSamples.push(what)
  }
  const fire = () => {
    inFlight++
    sent++
    const call = request(
      { agent, host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'GET', headers: options.headers },
      (response) => {
        response.resume()
        response.on('end', () => {
          inFlight--
          result.requests++
          if (response.statusCode === undefined || response.statusCode < 200 || response.statusCode >= 300) failed(`status ${response.statusCode}`)
        })
      },
    )
    call.on('error', (error) => {
      inFlight--
      failed(error.message)
    })
    call.end()
  }
  const started = performance.now()
  await new Promise<void>((resolve) => {
    // A 1 ms tick sends whatever fell due since the last one: at most a request or two per tick at these rates.
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * options.rate) / 1000))
      while (sent < due) {
        // More than one request waiting per connection: the target is behind; count it rather than queue without end.
        if (inFlight >= options.connections * 2) {
          result.late += due - sent
          sent = due
          break
        }
        fire()
      }
      if (sent >= total) {
        clearInterval(tick)
        resolve()
      }
    }, 1)
  })
  const deadline = performance.now() + 10_000
  while (inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  agent.destroy()
  return result
}
