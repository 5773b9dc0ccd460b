import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { ClusterIpcTransport, type IpcChannel } from '../src/index.js'
import { runTransportContractSuite } from '../src/testing/index.js'

// The broker runs in a child process, as it does in a gateway's cluster primary: every message, answer and dead-letter
// notice crosses a real IPC channel.
const children: ChildProcess[] = []

runTransportContractSuite({
  name: 'cluster-ipc',
  create: async () => {
    const child = fork(fileURLToPath(new URL('./fixtures/ipc-broker-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    children.push(child)
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`the broker process exited with ${code}`)))
    })
    return new ClusterIpcTransport({ channel: child as unknown as IpcChannel })
  },
})

afterAll(() => {
  for (const child of children) child.kill()
})
