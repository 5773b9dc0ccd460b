/** Where a setting's value came from (its own module: the loader and the cross-checks both need it). */
export type ConfigSource = { kind: 'default' } | { kind: 'file'; file: string } | { kind: 'env'; variable: string }

export interface ConfigIssue {
  /** JSON pointer of the setting, e.g. /gateway/upstreams/demo/url */
  path: string
  message: string
  /** Where the bad value came from: `default`, `file <path>[:line:col]`, `env <VARIABLE>`. */
  source: string
}

export function describeSource(source: ConfigSource | undefined): string {
  if (source === undefined || source.kind === 'default') return 'default'
  return source.kind === 'file' ? `file ${source.file}` : `env ${source.variable}`
}
