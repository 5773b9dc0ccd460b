import { useState, type FormEvent } from 'react'
import type { AuditFilter } from '../api/strata-api.js'
import { useConsole } from '../app/console-context.js'
import { useAsync } from '../app/use-async.js'
import { ErrorNote, Field, formatTime } from '../components/ui.js'

const toEpoch = (local: string): number | undefined => (local === '' ? undefined : new Date(local).getTime())

/** The gateway's audit log, newest first, filtered by actor, action, outcome and time. */
export function AuditPage() {
  const { gateway } = useConsole()
  const [draft, setDraft] = useState({ actor: '', action: '', outcome: '', since: '', until: '' })
  const [filter, setFilter] = useState<AuditFilter>({ limit: 100 })
  const records = useAsync(() => gateway.audit(filter), [gateway, filter])
  const apply = (event: FormEvent) => {
    event.preventDefault()
    setFilter({ actor: draft.actor.trim(), action: draft.action.trim(), outcome: draft.outcome, since: toEpoch(draft.since), until: toEpoch(draft.until), limit: 100 })
  }
  const set = (field: keyof typeof draft) => (event: { target: { value: string } }) => setDraft((current) => ({ ...current, [field]: event.target.value }))
  return (
    <>
      <h1>Audit</h1>
      <form className="toolbar" onSubmit={apply} aria-label="Filter the audit log">
        <Field label="Actor" hint="e.g. key:abc123def456">
          {(props) => <input {...props} name="actor" value={draft.actor} onChange={set('actor')} />}
        </Field>
        <Field label="Action" hint="e.g. namespace.put">
          {(props) => <input {...props} name="action" value={draft.action} onChange={set('action')} />}
        </Field>
        <Field label="Outcome">
          {(props) => (
            <select {...props} name="outcome" value={draft.outcome} onChange={set('outcome')}>
              <option value="">any</option>
              <option value="allowed">allowed</option>
              <option value="denied">denied</option>
              <option value="failed">failed</option>
            </select>
          )}
        </Field>
        <Field label="Since">{(props) => <input {...props} name="since" type="datetime-local" value={draft.since} onChange={set('since')} />}</Field>
        <Field label="Until">{(props) => <input {...props} name="until" type="datetime-local" value={draft.until} onChange={set('until')} />}</Field>
        <button type="submit">Apply filters</button>
      </form>
      <ErrorNote error={records.error} />
      <div className="table-wrap">
        <table>
          <caption>{records.data === undefined ? 'Loading…' : `${records.data.length} record${records.data.length === 1 ? '' : 's'}, newest first`}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Resource</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {(records.data ?? []).map((record) => (
              <tr key={record.seq}>
                <td>{record.seq}</td>
                <td>{formatTime(record.at)}</td>
                <td>{record.actor}</td>
                <td>{record.action}</td>
                <td className="wrap">{record.resource}</td>
                <td>
                  <span className={`badge badge-${record.outcome}`}>{record.outcome}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}
