import { fork, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** A port free right now on loopback (the gateway and alerting must know each other's URL before either starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** A service's real main.ts (alerting, analytics) as its own process; resolves with its address once it says it is ready. */
export async function startServiceProcess(service: 'alerting' | 'analytics', env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL(`../../../${service}/src/main.ts`, import.meta.url)), [], {
    cwd: fileURLToPath(new URL(`../../../${service}/`, import.meta.url)),
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  })
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { address?: string }) => resolve(message.address ?? ''))
    child.once('exit', (code) => reject(new Error(`${service} exited with ${code} before it was ready`)))
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  return { child, url, stop }
}
