import { onShutdownSignals } from '@strata/service'
import { buildDemoOrigin } from './demo-origin.js'

/**
 * The embedded default's demo product service as a process of its own: docker-compose.yml runs it as the `demo`
 * upstream of the gateways, so the README walk-through works the same with Docker. PORT (4001) and HOST (127.0.0.1).
 */
const { app } = buildDemoOrigin()
const address = await app.listen({ port: Number(process.env.PORT ?? 4001), host: process.env.HOST ?? '127.0.0.1' })
console.log(`demo origin listening on ${address}`)
onShutdownSignals(() => app.close(), (message) => console.log(message))
