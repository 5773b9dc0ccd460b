import { useState, type FormEvent } from 'react'
import { describeError } from '../api/problem.js'
import type { AlertingApi } from '../api/strata-api.js'
import type { AlertView, Silence } from '../api/types.js'
import { useConsole } from '../app/console-context.js'
import { useAsync } from '../app/use-async.js'
import { useTicker } from '../app/use-ticker.js'
import { NotConnected } from '../components/NotConnected.js'
import { ErrorNote, Field, Status, formatDuration, formatTime } from '../components/ui.js'
import { matchersFor, silencesOf } from '../state/silence-match.js'

/** Alerting: rules, firing alerts (silence one from here), silences (expire one), delivery history. */
export function AlertsPage() {
  const { alerting } = useConsole()
  return (
    <>
      <h1>Alerts</h1>
      {alerting === undefined ? (
        <NotConnected service="Alerting" envVar="STRATA_CONSOLE_ALERTING_URL" how="The embedded platform (pnpm start) runs alerting in-process; a gateway started on its own needs the alerting service's URL." />
      ) : (
        <AlertsView alerting={alerting} />
      )}
    </>
  )
}

function AlertsView({ alerting }: { alerting: AlertingApi }) {
  const { preferences, keyId } = useConsole()
  const tick = useTicker(preferences.refreshMs)
  const rules = useAsync(() => alerting.rules(), [alerting])
  const alerts = useAsync(() => alerting.alerts(), [alerting, tick])
  const silences = useAsync(() => alerting.silences(), [alerting, tick])
  const deliveries = useAsync(() => alerting.deliveries(), [alerting, tick])
  const [silencing, setSilencing] = useState<AlertView>()
  const [message, setMessage] = useState<string>()
  const [error, setError] = useState<string>()
  const now = Date.now()
  const active = (alerts.data ?? []).filter((alert) => alert.state !== 'resolved')

  const expire = (silence: Silence) => {
    alerting.expireSilence(silence.id).then(
      () => {
        setMessage(`Silence ${silence.id.slice(0, 8)} expired.`)
        silences.reload()
      },
      (failure: unknown) => setError(describeError(failure)),
    )
  }
  return (
    <>
      <ErrorNote error={error ?? alerts.error ?? rules.error} />
      {message === undefined ? null : <Status>{message}</Status>}
      <section aria-labelledby="alerts-title">
        <h2 id="alerts-title">Firing and pending alerts</h2>
        <div className="table-wrap">
          <table id="alerts-table">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Labels</th>
                <th scope="col">Severity</th>
                <th scope="col">State</th>
                <th scope="col">Since</th>
                <th scope="col">Value</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {active.length === 0 ? (
                <tr>
                  <td colSpan={7}>No alert is pending or firing.</td>
                </tr>
              ) : (
                active.map((alert) => {
                  const silencedBy = silencesOf(alert, silences.data ?? [], now)
                  return (
                    <tr key={alert.fingerprint} data-alert={alert.rule}>
                      <th scope="row">{alert.rule}</th>
                      <td className="wrap">{labelText(alert.labels)}</td>
                      <td>{alert.severity}</td>
                      <td>
                        <span className={`badge badge-${alert.state}`}>{alert.state}</span>
                        {silencedBy.length > 0 ? <span className="badge badge-silenced">silenced</span> : null}
                      </td>
                      <td>{formatTime(alert.firedAt ?? alert.activeSince)}</td>
                      <td>{alert.value === undefined ? '—' : alert.value.toFixed(3)}</td>
                      <td>
                        {silencedBy.length > 0 ? null : (
                          <button type="button" className="secondary" onClick={() => setSilencing(alert)} aria-label={`Silence ${alert.rule}`}>
                            Silence
                          </button>
                        )}
                      </td>
                    </tr>
                  )
                })
              )}
            </tbody>
          </table>
        </div>
        {silencing === undefined ? null : (
          <SilenceForm
            alert={silencing}
            createdBy={`console key:${keyId}`}
            onCancel={() => setSilencing(undefined)}
            onCreate={(body) => {
              alerting.silence(body).then(
                (silence) => {
                  setSilencing(undefined)
                  setMessage(`Silenced ${silencing.rule} until ${formatTime(silence.endsAt)}.`)
                  silences.reload()
                },
                (failure: unknown) => setError(describeError(failure)),
              )
            }}
          />
        )}
      </section>
      <section aria-labelledby="silences-title">
        <h2 id="silences-title">Silences</h2>
        <div className="table-wrap">
          <table id="silences-table">
            <thead>
              <tr>
                <th scope="col">Matchers</th>
                <th scope="col">Ends</th>
                <th scope="col">Comment</th>
                <th scope="col">By</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {(silences.data ?? []).map((silence) => (
                <tr key={silence.id}>
                  <th scope="row" className="wrap">
                    {labelText(silence.matchers)}
                  </th>
                  <td>{formatTime(silence.endsAt)}</td>
                  <td>{silence.comment}</td>
                  <td>{silence.createdBy}</td>
                  <td>
                    <button type="button" className="secondary" onClick={() => expire(silence)} aria-label={`Expire silence ${labelText(silence.matchers)}`}>
                      Expire
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="rules-title">
        <h2 id="rules-title">Rules</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Condition</th>
                <th scope="col">For</th>
                <th scope="col">Severity</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {(rules.data ?? []).map((rule) => (
                <tr key={rule.name}>
                  <th scope="row">{rule.name}</th>
                  <td>{rule.kind}</td>
                  <td className="wrap">{'op' in rule ? `${rule.op} ${rule.threshold} — ${rule.summary}` : rule.summary}</td>
                  <td>{formatDuration(rule.forMs)}</td>
                  <td>{rule.severity}</td>
                  <td>{rule.origin}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Delivery history</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Receiver</th>
                <th scope="col">Attempt</th>
                <th scope="col">Outcome</th>
                <th scope="col">Status / error</th>
              </tr>
            </thead>
            <tbody>
              {(deliveries.data ?? []).length === 0 ? (
                <tr>
                  <td colSpan={5}>No delivery yet (no receiver, or nothing fired).</td>
                </tr>
              ) : (
                (deliveries.data ?? []).map((delivery) => (
                  <tr key={`${delivery.notificationId}-${delivery.attempt}`}>
                    <td>{formatTime(delivery.at)}</td>
                    <td>{delivery.receiver}</td>
                    <td>{delivery.attempt}</td>
                    <td>{delivery.outcome}</td>
                    <td>{delivery.status ?? delivery.error ?? ''}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </section>
    </>
  )
}

function SilenceForm({
  alert,
  createdBy,
  onCancel,
  onCreate,
}: {
  alert: AlertView
  createdBy: string
  onCancel: () => void
  onCreate: (body: { matchers: Record<string, string>; duration: string; comment: string; createdBy: string }) => void
}) {
  const [duration, setDuration] = useState('1h')
  const [comment, setComment] = useState('Silenced from the console')
  const matchers = matchersFor(alert)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (comment.trim() !== '') onCreate({ matchers, duration, comment: comment.trim(), createdBy })
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="silence-title">
      <h3 id="silence-title">Silence {alert.rule}</h3>
      <p>
        Matches <code>{labelText(matchers)}</code>
      </p>
      <Field label="For">
        {(props) => (
          <select {...props} name="duration" value={duration} onChange={(event) => setDuration(event.target.value)}>
            <option value="30m">30 minutes</option>
            <option value="1h">1 hour</option>
            <option value="4h">4 hours</option>
            <option value="24h">1 day</option>
          </select>
        )}
      </Field>
      <Field label="Comment">{(props) => <input {...props} name="comment" required value={comment} onChange={(event) => setComment(event.target.value)} />}</Field>
      <div className="actions">
        <button type="submit">Create silence</button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ')
