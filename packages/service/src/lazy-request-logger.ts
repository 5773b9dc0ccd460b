import type { FastifyBaseLogger } from 'fastify'

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/**
 * A request's logger that makes its child (request id bound, redaction applied to the bindings) only when a line is
 * written at a level the parent logs. Fastify makes a pino child for every request before the handler runs; a cache hit
 * logs nothing, and that child (pino with redaction) was a tenth of the proxy's hit path and of the gateway's L1-hit
 * GET. What is logged, and with which bindings, is the same.
 */
class LazyRequestLogger {
  private made: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.child$().level = level
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args)
  }

  error(...args: unknown[]): void {
    this.write('error', args)
  }

  warn(...args: unknown[]): void {
    this.write('warn', args)
  }

  info(...args: unknown[]): void {
    this.write('info', args)
  }

  debug(...args: unknown[]): void {
    this.write('debug', args)
  }

  trace(...args: unknown[]): void {
    this.write('trace', args)
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.child$().child(bindings, options)
  }

  private write(level: Level, args: unknown[]): void {
    if (this.made === undefined && this.options.level === undefined && !enabled(this.parent, level)) return
    const child = this.child$()
    Reflect.apply(child[level], child, args)
  }

  private child$(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options))
  }
}

/** Whether the parent writes this level (pino's isLevelEnabled; a logger without it is asked every time). */
function enabled(logger: FastifyBaseLogger, level: Level): boolean {
  const check = (logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled
  return check === undefined ? true : check.call(logger, level)
}

/** Fastify's `childLoggerFactory` for the service shell: most requests log nothing. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options)
}
