import { useState, type FormEvent } from 'react'
import { ApiProblem, describeError } from '../api/problem.js'
import { GatewayApi } from '../api/strata-api.js'
import { ErrorNote, Field } from '../components/ui.js'

/**
 * Sign in with an API key. The key is checked against the gateway first (401 = wrong key); a key without admin rights
 * (403 on the namespace list) still signs in, and each page says what that key may not do.
 */
export function SignInPage({ gatewayUrl, onSignIn }: { gatewayUrl: string; onSignIn: (token: string, remember: boolean) => void }) {
  const [token, setToken] = useState('')
  const [remember, setRemember] = useState(false)
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    const candidate = token.trim()
    if (candidate === '') {
      setError('Paste an API key (sk_…). `pnpm start` prints the admin key.')
      return
    }
    setBusy(true)
    new GatewayApi(gatewayUrl, candidate)
      .namespaces()
      .then(
        () => onSignIn(candidate, remember),
        (failure: unknown) => {
          if (failure instanceof ApiProblem && failure.status === 403) onSignIn(candidate, remember)
          else setError(describeError(failure))
        },
      )
      .finally(() => setBusy(false))
  }
  return (
    <main id="main" className="signin">
      <h1>Strata console</h1>
      <form onSubmit={submit} aria-labelledby="signin-title" className="card">
        <h2 id="signin-title">Sign in</h2>
        <Field label="API key" hint="Sent as Authorization: Bearer to the gateway and its services. Kept in this tab unless you choose remember me.">
          {(props) => <input {...props} name="apiKey" type="password" autoComplete="current-password" value={token} onChange={(event) => setToken(event.target.value)} />}
        </Field>
        <div className="checkbox">
          <input id="remember" type="checkbox" checked={remember} onChange={(event) => setRemember(event.target.checked)} />
          <label htmlFor="remember">Remember me on this browser</label>
        </div>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
