import { useState, type FormEvent } from 'react'
import { describeError } from '../api/problem.js'
import type { DryRunCounts, InvalidationTargets } from '../api/types.js'
import { useConsole } from '../app/console-context.js'
import { useAsync } from '../app/use-async.js'
import { NamespacePicker } from '../components/NamespacePicker.js'
import { ErrorNote, Field, Status, formatTime } from '../components/ui.js'

type Kind = 'keys' | 'tags' | 'prefixes' | 'all'
const KINDS: Array<{ kind: Kind; label: string }> = [
  { kind: 'keys', label: 'Keys' },
  { kind: 'tags', label: 'Tags' },
  { kind: 'prefixes', label: 'Key prefixes' },
  { kind: 'all', label: 'The whole namespace' },
]

function requestOf(kind: Kind, text: string): InvalidationTargets | undefined {
  if (kind === 'all') return { all: true }
  const values = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
  return values.length === 0 ? undefined : { [kind]: values }
}

function countOf(kind: Kind, counts: DryRunCounts): string {
  const value = counts[kind]
  return value === null ? 'an unknown number of (this store cannot count)' : String(value)
}

function nounOf(kind: Kind, count: number | null): string {
  const one = count === 1
  if (kind === 'prefixes') return one ? 'key under those prefixes' : 'keys under those prefixes'
  if (kind === 'tags') return one ? 'entry carrying those tags' : 'entries carrying those tags'
  if (kind === 'all') return one ? 'entry' : 'entries'
  return one ? 'existing key' : 'existing keys'
}

/** Invalidate by key, tag, prefix or the whole namespace: a dry-run count first, then confirm. The history below. */
export function InvalidationPage() {
  const { gateway } = useConsole()
  const [namespace, setNamespace] = useState('')
  const [kind, setKind] = useState<Kind>('keys')
  const [text, setText] = useState('')
  const [preview, setPreview] = useState<{ request: InvalidationTargets; counts: DryRunCounts; namespace: string; kind: Kind }>()
  const [error, setError] = useState<string>()
  const [done, setDone] = useState<string>()
  const history = useAsync(() => gateway.invalidations({ limit: 50 }), [gateway])

  const dryRun = (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    setDone(undefined)
    setPreview(undefined)
    const request = requestOf(kind, text)
    if (request === undefined) {
      setError(`Give at least one ${kind === 'prefixes' ? 'prefix' : kind.slice(0, -1)}, one per line.`)
      return
    }
    gateway.dryRun(namespace, request).then(
      (answer) => setPreview({ request, counts: answer.counts, namespace, kind }),
      (failure: unknown) => setError(describeError(failure)),
    )
  }
  const confirm = () => {
    if (preview === undefined) return
    gateway.invalidate(preview.namespace, preview.request).then(
      () => {
        setDone(`Invalidated in ${preview.namespace}.`)
        setPreview(undefined)
        history.reload()
      },
      (failure: unknown) => setError(describeError(failure)),
    )
  }
  return (
    <>
      <h1>Invalidation</h1>
      <form className="card" onSubmit={dryRun} aria-labelledby="invalidate-title">
        <h2 id="invalidate-title">Invalidate</h2>
        <NamespacePicker value={namespace} onChange={setNamespace} />
        <fieldset>
          <legend>What to invalidate</legend>
          {KINDS.map((option) => (
            <div className="radio" key={option.kind}>
              <input id={`kind-${option.kind}`} type="radio" name="kind" value={option.kind} checked={kind === option.kind} onChange={() => setKind(option.kind)} />
              <label htmlFor={`kind-${option.kind}`}>{option.label}</label>
            </div>
          ))}
        </fieldset>
        {kind === 'all' ? null : (
          <Field label={`${KINDS.find((option) => option.kind === kind)!.label}, one per line`}>
            {(props) => <textarea {...props} name="values" rows={4} value={text} onChange={(event) => setText(event.target.value)} />}
          </Field>
        )}
        <button type="submit">Count affected (dry run)</button>
      </form>
      <ErrorNote error={error} />
      {done === undefined ? null : <Status>{done}</Status>}
      {preview === undefined ? null : (
        <section className="card confirm" aria-labelledby="preview-title">
          <h2 id="preview-title">Dry run</h2>
          <p role="status">
            This would invalidate <strong data-testid="dry-run-count">{countOf(preview.kind, preview.counts)}</strong> {nounOf(preview.kind, preview.counts[preview.kind])} in{' '}
            <strong>{preview.namespace}</strong>.
          </p>
          <div className="actions">
            <button type="button" className="danger" onClick={confirm}>
              Confirm invalidation
            </button>
            <button type="button" className="secondary" onClick={() => setPreview(undefined)}>
              Cancel
            </button>
          </div>
        </section>
      )}
      <section aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <ErrorNote error={history.error} />
        <div className="table-wrap">
          <table id="history-table">
            <caption>Newest first, as recorded by this gateway instance</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Namespace</th>
                <th scope="col">Source</th>
                <th scope="col">Actor</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              {history.data?.length === 0 ? (
                <tr>
                  <td colSpan={5}>No invalidation recorded yet.</td>
                </tr>
              ) : null}
              {(history.data ?? []).map((record) => (
                <tr key={record.id}>
                  <td>{formatTime(record.at)}</td>
                  <td>{record.namespace ?? 'every namespace'}</td>
                  <td>{record.trigger}</td>
                  <td>{record.actor ?? '-'}</td>
                  <td className="wrap">
                    {[
                      record.targets.all === true ? 'all' : '',
                      list('keys', record.targets.keys),
                      list('tags', record.targets.tags),
                      list('prefixes', record.targets.prefixes),
                      list('expire tags', record.targets.expireTags),
                      list(`surrogate keys of ${record.upstream ?? ''}`, record.targets.surrogateKeys),
                      list(`URLs of ${record.upstream ?? ''}`, record.targets.urls),
                    ]
                      .filter((part) => part !== '')
                      .join('; ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  )
}

function list(label: string, values: readonly string[] | undefined): string {
  return values === undefined || values.length === 0 ? '' : `${label}: ${values.join(', ')}`
}
