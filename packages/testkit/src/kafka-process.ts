import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { kraftClusterId } from './kraft-cluster-id.js'
import { requireKafka } from './require-server.js'

/**
 * A throwaway single-node Kafka (KRaft) on its own loopback ports and log dir, owned by one test so it can be
 * SIGKILLed and restarted without disturbing the shared broker. Uses the jars `pnpm infra:up` fetched
 * (infra/local/servers/kafka.sh). Only the process this helper spawned is ever signalled.
 */
export class KafkaProcess {
  private child: ChildProcess | undefined
  private readonly dir = mkdtempSync(join(tmpdir(), 'strata-kafka-'))
  private readonly properties = join(this.dir, 'server.properties')
  private readonly lib: string

  constructor(
    readonly port: number,
    readonly controllerPort: number,
  ) {
    const state = join(process.env.STRATA_INFRA_DIR ?? join(homedir(), '.cache', 'strata-infra'), 'kafka')
    const libs = existsSync(state) ? readdirSync(state).filter((name) => name.startsWith('lib-') && existsSync(join(state, name, '.complete'))) : []
    if (libs.length === 0) throw new Error(`No Kafka jars under ${state}: run \`pnpm infra:up kafka\` once`)
    this.lib = join(state, libs.sort().at(-1)!)
    writeFileSync(
      this.properties,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        `log.dirs=${join(this.dir, 'data')}`,
        'num.partitions=3',
        'auto.create.topics.enable=true',
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=3',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'num.io.threads=2',
        'num.network.threads=2',
      ].join('\n'),
    )
    writeFileSync(join(this.dir, 'log4j.properties'), 'log4j.rootLogger=WARN, file\nlog4j.appender.file=org.apache.log4j.FileAppender\n' + `log4j.appender.file.File=${join(this.dir, 'server.log')}\nlog4j.appender.file.layout=org.apache.log4j.PatternLayout\nlog4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n`)
    execFileSync('java', [...this.javaArgs(), 'kafka.tools.StorageTool', 'format', '-t', kraftClusterId(), '-c', this.properties, '--ignore-formatted'], { stdio: 'ignore' })
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`]
  }

  async start(): Promise<void> {
    this.child = spawn('java', [...this.javaArgs(), 'kafka.Kafka', this.properties], { stdio: 'ignore' })
    const deadline = Date.now() + 90_000
    for (;;) {
      try {
        await requireKafka(this.brokers)
        return
      } catch (error) {
        if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`Kafka did not start on ${this.port}: ${String(error)}`)
        await sleep(200)
      }
    }
  }

  /** SIGSTOP: the broker keeps its sockets but answers nothing, like a network partition or a frozen VM. */
  pause(): void {
    this.child?.kill('SIGSTOP')
  }

  resume(): void {
    this.child?.kill('SIGCONT')
  }

  /** SIGKILL: no clean shutdown, like a crashed broker. */
  async kill(): Promise<void> {
    const child = this.child
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    this.child = undefined
  }

  async dispose(): Promise<void> {
    await this.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }

  private javaArgs(): string[] {
    return ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${join(this.dir, 'log4j.properties')}`, `-Dkafka.logs.dir=${this.dir}`, '-cp', `${this.lib}/*`]
  }
}
