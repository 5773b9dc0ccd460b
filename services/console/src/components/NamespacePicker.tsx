import { useEffect } from 'react'
import { useConsole } from '../app/console-context.js'
import { useAsync } from '../app/use-async.js'
import { Field } from './ui.js'

/**
 * A namespace select filled from the admin list; a key that may not list namespaces (403) types the name instead.
 * Starts on the user's default namespace when it exists.
 */
export function NamespacePicker({ value, onChange, label = 'Namespace', optional = false }: { value: string; onChange: (name: string) => void; label?: string; optional?: boolean }) {
  const { gateway, preferences } = useConsole()
  const list = useAsync(() => gateway.namespaces(), [gateway])
  const names = list.data?.map((ns) => ns.name) ?? []
  useEffect(() => {
    if (optional || value !== '' || names.length === 0) return
    onChange(names.includes(preferences.defaultNamespace) ? preferences.defaultNamespace : names[0]!)
  }, [value, names.join(','), preferences.defaultNamespace])
  if (list.error !== undefined) {
    return <Field label={label}>{(props) => <input {...props} name="namespace" value={value} onChange={(event) => onChange(event.target.value)} />}</Field>
  }
  return (
    <Field label={label}>
      {(props) => (
        // Remounted when the list arrives: a controlled select whose value's option appears later would keep showing
        // the first option.
        <select {...props} key={names.join(',')} name="namespace" value={value} onChange={(event) => onChange(event.target.value)}>
          {optional ? <option value="">none</option> : null}
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      )}
    </Field>
  )
}
