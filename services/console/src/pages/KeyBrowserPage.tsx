import { useState, type FormEvent } from 'react'
import { describeError } from '../api/problem.js'
import type { EntryInfo } from '../api/types.js'
import { useConsole } from '../app/console-context.js'
import { NamespacePicker } from '../components/NamespacePicker.js'
import { ErrorNote, Field, Status, formatBytes, formatDuration } from '../components/ui.js'
import { freshnessLabel, parseTtlInput, previewValue, sortEntries } from '../state/entry-list.js'

/** Browse a namespace's keys by prefix or tag; inspect one entry's metadata and value, change its TTL, delete it. */
export function KeyBrowserPage() {
  const { gateway } = useConsole()
  const [namespace, setNamespace] = useState('')
  const [prefix, setPrefix] = useState('')
  const [tag, setTag] = useState('')
  const [entries, setEntries] = useState<EntryInfo[]>()
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<string>()
  const [selected, setSelected] = useState<EntryInfo>()
  const [message, setMessage] = useState<string>()

  const load = (more: boolean) => {
    setError(undefined)
    gateway
      .entries(namespace, { prefix, tag, limit: 50, ...(more && cursor !== null ? { cursor } : {}) })
      .then(
        (page) => {
          setEntries((current) => (more ? [...(current ?? []), ...page.entries] : page.entries))
          setCursor(page.cursor)
        },
        (failure: unknown) => setError(describeError(failure)),
      )
  }
  const search = (event: FormEvent) => {
    event.preventDefault()
    setSelected(undefined)
    setMessage(undefined)
    load(false)
  }
  const inspect = (key: string) => {
    setError(undefined)
    gateway.entry(namespace, key).then(setSelected, (failure: unknown) => setError(describeError(failure)))
  }
  const remove = (key: string) => {
    gateway.deleteKey(namespace, key).then(
      () => {
        setSelected(undefined)
        setEntries((current) => current?.filter((entry) => entry.key !== key))
        setMessage(`Deleted ${key} from ${namespace}.`)
      },
      (failure: unknown) => setError(describeError(failure)),
    )
  }
  return (
    <>
      <h1>Key browser</h1>
      <form className="toolbar" onSubmit={search} aria-label="Search keys">
        <NamespacePicker value={namespace} onChange={setNamespace} />
        <Field label="Key prefix">{(props) => <input {...props} name="prefix" value={prefix} onChange={(event) => setPrefix(event.target.value)} />}</Field>
        <Field label="Tag">{(props) => <input {...props} name="tag" value={tag} onChange={(event) => setTag(event.target.value)} />}</Field>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={error} />
      {message === undefined ? null : <Status>{message}</Status>}
      <div className="split">
        <div className="table-wrap">
          <table>
            <caption>{entries === undefined ? 'Search to list keys' : `${entries.length} key${entries.length === 1 ? '' : 's'} in ${namespace}`}</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Tier</th>
                <th scope="col">TTL left</th>
                <th scope="col">Freshness</th>
                <th scope="col">Size</th>
                <th scope="col">Tags</th>
              </tr>
            </thead>
            <tbody>
              {sortEntries(entries ?? []).map((entry) => (
                <tr key={entry.key} aria-selected={selected?.key === entry.key}>
                  <th scope="row">
                    <button type="button" className="link" onClick={() => inspect(entry.key)}>
                      {entry.key}
                    </button>
                  </th>
                  <td>{entry.tier.toUpperCase()}</td>
                  <td>{formatDuration(entry.ttlLeftMs)}</td>
                  <td>{freshnessLabel(entry)}</td>
                  <td>{formatBytes(entry.size)}</td>
                  <td>{entry.tags.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {cursor === null ? null : (
            <button type="button" className="secondary" onClick={() => load(true)}>
              Load more
            </button>
          )}
        </div>
        {selected === undefined ? null : <EntryPanel key={`${selected.key}@${selected.version}`} namespace={namespace} entry={selected} onDelete={remove} onChanged={(note) => {
              setMessage(note)
              inspect(selected.key)
            }} />}
      </div>
    </>
  )
}

function EntryPanel({ namespace, entry, onDelete, onChanged }: { namespace: string; entry: EntryInfo; onDelete: (key: string) => void; onChanged: (note: string) => void }) {
  const { gateway } = useConsole()
  const [confirming, setConfirming] = useState(false)
  const [value, setValue] = useState<{ loaded: unknown } | undefined>()
  const [ttl, setTtl] = useState('')
  const [error, setError] = useState<string>()
  const showValue = () => {
    setError(undefined)
    gateway.value(namespace, entry.key).then((loaded) => setValue({ loaded }), (failure: unknown) => setError(describeError(failure)))
  }
  const changeTtl = (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    const ms = parseTtlInput(ttl)
    if (ms === undefined) {
      setError(`"${ttl}" is not a TTL: write 90s, 5m, 1h, 2d or a number of seconds`)
      return
    }
    // The value is read and written back with If-Match: a change made meanwhile wins, and this answers 412.
    gateway
      .value(namespace, entry.key)
      .then((current) => gateway.setTtl(namespace, entry.key, { value: current, ttl: ms, tags: entry.tags, version: entry.version }))
      .then(
        // The page keeps the note: this panel is replaced by the entry's new version.
        () => onChanged(`TTL of ${entry.key} set to ${formatDuration(ms)}.`),
        (failure: unknown) => setError(describeError(failure)),
      )
  }
  return (
    <section className="card panel" aria-labelledby="entry-title">
      <h2 id="entry-title">
        Entry <code>{entry.key}</code>
      </h2>
      <dl>
        <dt>Tier</dt>
        <dd>{entry.tier.toUpperCase()}</dd>
        <dt>TTL left</dt>
        <dd>{formatDuration(entry.ttlLeftMs)}</dd>
        <dt>Grace left</dt>
        <dd>{formatDuration(entry.graceLeftMs)}</dd>
        <dt>Stale</dt>
        <dd>{entry.stale ? 'yes' : 'no'}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(entry.size)}</dd>
        <dt>Tags</dt>
        <dd>{entry.tags.length === 0 ? 'none' : entry.tags.join(', ')}</dd>
        <dt>Version</dt>
        <dd>{String(entry.version)}</dd>
      </dl>
      <ErrorNote error={error} />
      {value === undefined ? (
        <button type="button" className="secondary" onClick={showValue}>
          Show value
        </button>
      ) : (
        <ValuePreview value={value.loaded} />
      )}
      <form className="toolbar" onSubmit={changeTtl} aria-label={`Change the TTL of ${entry.key}`}>
        <Field label="New TTL">{(props) => <input {...props} name="ttl" placeholder="90s, 5m, 1h" value={ttl} onChange={(event) => setTtl(event.target.value)} />}</Field>
        <button type="submit" className="secondary">
          Set TTL
        </button>
      </form>
      {confirming ? (
        <div className="actions">
          <button type="button" className="danger" onClick={() => onDelete(entry.key)}>
            Confirm delete {entry.key}
          </button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Delete key
        </button>
      )}
    </section>
  )
}

function ValuePreview({ value }: { value: unknown }) {
  const preview = previewValue(value)
  return (
    <figure className="value-preview">
      <figcaption>Value{preview.truncated ? ` (first ${formatBytes(preview.text.length)} of ${formatBytes(preview.length)} shown)` : ''}</figcaption>
      <pre tabIndex={0}>{preview.text}</pre>
    </figure>
  )
}
