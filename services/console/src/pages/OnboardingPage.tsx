import { useState, type FormEvent } from 'react'
import { ApiProblem, describeError } from '../api/problem.js'
import { useConsole } from '../app/console-context.js'
import { navigate } from '../app/router.js'
import { CodeBlock, ErrorNote, Field, Status } from '../components/ui.js'
import { curlSnippet, eventRuleSnippet, sdkSnippet } from '../state/snippets.js'

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/**
 * The first start for a user: create a namespace, an API key scoped to it (the token is shown once), then
 * copy-paste snippets for the SDK, curl and an invalidator event rule.
 */
export function OnboardingPage() {
  const { gateway, gatewayUrl, setPreferences } = useConsole()
  const [namespace, setNamespace] = useState('my-app')
  const [ttl, setTtl] = useState('60000')
  const [created, setCreated] = useState<string>()
  const [keyName, setKeyName] = useState('')
  const [token, setToken] = useState<string>()
  const [error, setError] = useState<string>()

  const createNamespace = (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    const name = namespace.trim()
    const ttlMs = Number(ttl)
    if (!NAME.test(name)) return setError('Namespace: 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit.')
    if (!Number.isInteger(ttlMs) || ttlMs < 1) return setError('TTL: a whole number of milliseconds, at least 1.')
    // PUT creates or replaces: refuse to overwrite a namespace someone already uses.
    gateway
      .namespace(name)
      .then(
        () => {
          throw new Error(`Namespace ${name} already exists: choose another name.`)
        },
        (failure: unknown) => {
          if (!(failure instanceof ApiProblem && failure.status === 404)) throw failure
          return gateway.putNamespace(name, { ttl: ttlMs })
        },
      )
      .then(
        () => {
          setCreated(name)
          setKeyName(`${name} app`)
        },
        (failure: unknown) => setError(describeError(failure)),
      )
  }
  const createKey = (event: FormEvent) => {
    event.preventDefault()
    if (created === undefined) return
    setError(undefined)
    gateway.createKey({ name: keyName.trim() || `${created} app`, grants: [{ namespace: created, scopes: ['read', 'write', 'invalidate'] }] }).then(
      (answer) => setToken(answer.token),
      (failure: unknown) => setError(describeError(failure)),
    )
  }
  const finish = (defaultNamespace?: string) => {
    setPreferences({ onboarded: true, ...(defaultNamespace === undefined ? {} : { defaultNamespace }) })
    navigate('/')
  }
  return (
    <>
      <h1>Get started</h1>
      <p>Three steps: a namespace for your data, an API key your application uses for it, and the code to call it.</p>
      <ErrorNote error={error} />
      <ol className="steps">
        <li>
          <form className="card" onSubmit={createNamespace} aria-labelledby="step-ns">
            <h2 id="step-ns">1. Create a namespace</h2>
            <Field label="Namespace name" hint="Letters, digits, _ . - (up to 64)">
              {(props) => <input {...props} name="namespace" value={namespace} readOnly={created !== undefined} onChange={(event) => setNamespace(event.target.value)} />}
            </Field>
            <Field label="Default TTL (ms)" hint="How long an entry stays fresh unless a write says otherwise">
              {(props) => <input {...props} name="ttl" inputMode="numeric" value={ttl} readOnly={created !== undefined} onChange={(event) => setTtl(event.target.value)} />}
            </Field>
            {created === undefined ? <button type="submit">Create namespace</button> : <Status>Namespace {created} created.</Status>}
          </form>
        </li>
        {created === undefined ? null : (
          <li>
            <form className="card" onSubmit={createKey} aria-labelledby="step-key">
              <h2 id="step-key">2. Create an API key for {created}</h2>
              <p>It may read, write and invalidate in {created} only.</p>
              <Field label="Key name">{(props) => <input {...props} name="keyName" value={keyName} readOnly={token !== undefined} onChange={(event) => setKeyName(event.target.value)} />}</Field>
              {token === undefined ? (
                <button type="submit">Create API key</button>
              ) : (
                <>
                  <Status>Key created. Copy it now: it is shown this once.</Status>
                  <CodeBlock title="API key" code={token} />
                </>
              )}
            </form>
          </li>
        )}
        {token === undefined || created === undefined ? null : (
          <li>
            <section className="card" aria-labelledby="step-code">
              <h2 id="step-code">3. Use it</h2>
              <CodeBlock title="SDK (@strata/client)" code={sdkSnippet({ gatewayUrl, namespace: created })} />
              <CodeBlock title="curl" code={curlSnippet({ gatewayUrl, namespace: created })} />
              <CodeBlock title="Invalidator event rule (YAML)" code={eventRuleSnippet({ gatewayUrl, namespace: created })} />
              <button type="button" onClick={() => finish(created)}>
                Finish and open the overview
              </button>
            </section>
          </li>
        )}
      </ol>
      {token === undefined ? (
        <button type="button" className="secondary" onClick={() => finish()}>
          Skip the guide
        </button>
      ) : null}
    </>
  )
}
