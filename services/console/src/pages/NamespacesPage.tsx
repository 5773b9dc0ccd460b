import { useState, type FormEvent } from 'react'
import { describeError } from '../api/problem.js'
import type { NamespacePolicy, NamespaceView } from '../api/types.js'
import { useConsole } from '../app/console-context.js'
import { useAsync } from '../app/use-async.js'
import { ErrorNote, Field, Status, formatDuration, percent } from '../components/ui.js'
import { EMPTY_FORM, formOf, policyOf, type PolicyErrors, type PolicyForm } from '../state/policy-form.js'

/** Namespaces and their policies: list, create, edit (validated here, then by the gateway, whose problem is shown). */
export function NamespacesPage() {
  const { gateway } = useConsole()
  const list = useAsync(() => gateway.namespaces(), [gateway])
  const [editing, setEditing] = useState<{ form: PolicyForm; base: NamespacePolicy; isNew: boolean }>()
  const [saved, setSaved] = useState<string>()
  return (
    <>
      <h1>Namespaces</h1>
      <ErrorNote error={list.error} />
      {saved === undefined ? null : <Status>{saved}</Status>}
      <div className="toolbar">
        <button type="button" onClick={() => setEditing({ form: { ...EMPTY_FORM }, base: {}, isNew: true })}>
          New namespace
        </button>
      </div>
      {editing === undefined ? null : (
        <PolicyEditor
          key={editing.isNew ? 'new' : editing.form.name}
          initial={editing.form}
          base={editing.base}
          isNew={editing.isNew}
          onCancel={() => setEditing(undefined)}
          onSaved={(view, created) => {
            setEditing(undefined)
            setSaved(`Namespace ${view.name} ${created ? 'created' : 'saved'}.`)
            list.reload()
          }}
        />
      )}
      <div className="table-wrap">
        <table>
          <caption>Every namespace on this gateway</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">TTL</th>
              <th scope="col">Grace</th>
              <th scope="col">Write mode</th>
              <th scope="col">Encryption</th>
              <th scope="col">Origin</th>
              <th scope="col">Hit ratio</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(list.data ?? []).map((ns) => (
              <NamespaceRow
                key={ns.name}
                ns={ns}
                onEdit={() => setEditing({ form: formOf(ns.name, ns.policy), base: ns.policy, isNew: false })}
                onDeleted={() => {
                  setSaved(`Namespace ${ns.name} deleted, and its entries with it.`)
                  list.reload()
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}

function NamespaceRow({ ns, onEdit, onDeleted }: { ns: NamespaceView; onEdit: () => void; onDeleted: () => void }) {
  const { gateway } = useConsole()
  const { policy } = ns
  const [confirming, setConfirming] = useState(false)
  const [error, setError] = useState<string>()
  const remove = () => {
    gateway.deleteNamespace(ns.name).then(onDeleted, (failure: unknown) => setError(describeError(failure)))
  }
  return (
    <tr>
      <th scope="row">{ns.name}</th>
      <td>{policy.ttl === undefined ? 'default' : formatDuration(policy.ttl)}</td>
      <td>{policy.grace === undefined ? '—' : formatDuration(policy.grace)}</td>
      <td>{policy.writeMode ?? 'cache-aside'}</td>
      <td>{policy.security?.encryption ?? 'off'}</td>
      <td className="wrap">{policy.origin?.url ?? '—'}</td>
      <td>{percent(ns.stats.hitRatio)}</td>
      <td>
        <div className="actions">
          <button type="button" className="secondary" onClick={onEdit} aria-label={`Edit ${ns.name}`}>
            Edit
          </button>
          {confirming ? (
            <>
              <button type="button" className="danger" onClick={remove}>
                Confirm delete {ns.name}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirming(true)} aria-label={`Delete ${ns.name}`}>
              Delete
            </button>
          )}
        </div>
        <ErrorNote error={error} />
      </td>
    </tr>
  )
}

function PolicyEditor({
  initial,
  base,
  isNew,
  onCancel,
  onSaved,
}: {
  initial: PolicyForm
  base: NamespacePolicy
  isNew: boolean
  onCancel: () => void
  onSaved: (view: NamespaceView, created: boolean) => void
}) {
  const { gateway } = useConsole()
  const [form, setForm] = useState(initial)
  const [errors, setErrors] = useState<PolicyErrors>({})
  const [serverError, setServerError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof PolicyForm>(field: K, value: PolicyForm[K]) => setForm((current) => ({ ...current, [field]: value }))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setServerError(undefined)
    const { policy, errors: found } = policyOf(form, base)
    setErrors(found)
    if (policy === undefined) return
    setBusy(true)
    gateway
      .putNamespace(form.name, policy)
      .then(
        (view) => onSaved(view, isNew),
        (failure: unknown) => setServerError(describeError(failure)),
      )
      .finally(() => setBusy(false))
  }
  const text = (field: 'ttl' | 'grace' | 'l1Ttl' | 'maxTtl' | 'maxKeyLength' | 'maxValueBytes', label: string, hint: string) => (
    <Field label={label} hint={hint} error={errors[field]}>
      {(props) => <input {...props} name={field} inputMode="numeric" value={form[field]} onChange={(event) => set(field, event.target.value)} />}
    </Field>
  )
  return (
    <form className="card editor" onSubmit={submit} aria-labelledby="editor-title" noValidate>
      <h2 id="editor-title">{isNew ? 'New namespace' : `Edit ${form.name}`}</h2>
      <div className="grid">
        <Field label="Name" hint="Letters, digits, _ . - (up to 64)" error={errors.name}>
          {(props) => <input {...props} name="name" value={form.name} readOnly={!isNew} onChange={(event) => set('name', event.target.value)} />}
        </Field>
        {text('ttl', 'TTL (ms)', 'How long an entry is fresh')}
        {text('grace', 'Grace (ms)', 'Served stale this long while it refreshes')}
        {text('l1Ttl', 'L1 TTL (ms)', 'Cap on the in-process tier')}
        {text('maxTtl', 'Max TTL (ms)', 'Largest ttl a write may ask for')}
        {text('maxKeyLength', 'Max key length', 'Characters')}
        {text('maxValueBytes', 'Max value size (bytes)', 'Larger values are refused')}
        <Field label="Write mode" error={errors.writeMode}>
          {(props) => (
            <select {...props} name="writeMode" value={form.writeMode} onChange={(event) => set('writeMode', event.target.value as PolicyForm['writeMode'])}>
              <option value="cache-aside">cache-aside</option>
              <option value="write-through">write-through</option>
              <option value="write-behind">write-behind</option>
            </select>
          )}
        </Field>
        <Field label="Origin URL" hint="Read-through source; {key} is replaced by the key" error={errors.originUrl}>
          {(props) => <input {...props} name="originUrl" value={form.originUrl} onChange={(event) => set('originUrl', event.target.value)} />}
        </Field>
        <Field label="Encryption at rest" hint="required needs a keyring on the gateway (STRATA_ENCRYPTION_KEYS)" error={errors.encryption}>
          {(props) => (
            <select {...props} name="encryption" value={form.encryption} onChange={(event) => set('encryption', event.target.value as PolicyForm['encryption'])}>
              <option value="off">off</option>
              <option value="required">required</option>
            </select>
          )}
        </Field>
      </div>
      <ErrorNote error={serverError} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {isNew ? 'Create namespace' : 'Save policy'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
