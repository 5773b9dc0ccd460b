import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { ClusterIpcBroker, MemoryTransport, type IpcChannel } from '../src/index.js'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

function subscriber(topic: string, group: string, behaviour: 'hang' | 'ack', broker: ClusterIpcBroker): { child: ChildProcess; got: string[]; subscribed: Promise<void> } {
  const child = fork(fileURLToPath(new URL('./fixtures/ipc-subscriber-child.ts', import.meta.url)), [topic, group, behaviour], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  const channel = child as unknown as IpcChannel
  broker.attach(channel)
  // As a cluster primary does on a worker's exit.
  child.once('exit', () => void broker.detach(channel))
  const got: string[] = []
  const subscribed = new Promise<void>((resolve) => {
    child.on('message', (message: { got?: string; subscribed?: boolean }) => {
      if (message.got !== undefined) got.push(message.got)
      if (message.subscribed === true) resolve()
    })
  })
  return { child, got, subscribed }
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('ClusterIpcBroker', () => {
  it("hands a dead worker's unanswered delivery, and its partitions, to another member of the group", { timeout: 60_000 }, async () => {
    const topics = new MemoryTransport()
    const broker = new ClusterIpcBroker(topics)
    const topic = `ipc.${randomUUID().slice(0, 8)}`
    const group = `g.${randomUUID().slice(0, 8)}`
    const dying = subscriber(topic, group, 'hang', broker)
    await dying.subscribed
    const survivor = subscriber(topic, group, 'ack', broker)
    await survivor.subscribed
    const values = Array.from({ length: 12 }, (_, i) => `m${i}`)
    await topics.publish(topic, values.map((value) => ({ key: value, value })))
    // The dying worker holds the first message of each partition it owns and never answers it.
    await waitUntil(() => dying.got.length > 0, 'the hanging worker got a message')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(survivor.got.filter((value) => dying.got.includes(value))).toEqual([])
    expect(survivor.got.length).toBeLessThan(values.length)
    dying.child.kill('SIGKILL')
    await waitUntil(() => values.every((value) => survivor.got.includes(value)), `the survivor got every message (has ${survivor.got.join(',')})`)
    await broker.close()
  })
})
