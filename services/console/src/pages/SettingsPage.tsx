import { useConsole } from '../app/console-context.js'
import { navigate } from '../app/router.js'
import { NamespacePicker } from '../components/NamespacePicker.js'
import { Field, formatDuration } from '../components/ui.js'
import { REFRESH_CHOICES, type Theme } from '../state/preferences.js'

/** Theme, refresh interval and default namespace, remembered for this key (by its id) in this browser. */
export function SettingsPage() {
  const { preferences, setPreferences, keyId } = useConsole()
  return (
    <>
      <h1>Settings</h1>
      <form className="card" onSubmit={(event) => event.preventDefault()} aria-labelledby="prefs-title">
        <h2 id="prefs-title">Preferences</h2>
        <p className="hint">
          Saved as you change them, for key <code>{keyId}</code> on this browser.
        </p>
        <fieldset>
          <legend>Theme</legend>
          {(['light', 'dark'] as Theme[]).map((theme) => (
            <div className="radio" key={theme}>
              <input id={`theme-${theme}`} type="radio" name="theme" value={theme} checked={preferences.theme === theme} onChange={() => setPreferences({ theme })} />
              <label htmlFor={`theme-${theme}`}>{theme === 'light' ? 'Light' : 'Dark'}</label>
            </div>
          ))}
        </fieldset>
        <Field label="Refresh interval" hint="How often the overview and alerts poll">
          {(props) => (
            <select {...props} name="refreshMs" value={preferences.refreshMs} onChange={(event) => setPreferences({ refreshMs: Number(event.target.value) })}>
              {REFRESH_CHOICES.map((ms) => (
                <option key={ms} value={ms}>
                  {formatDuration(ms)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <NamespacePicker optional label="Default namespace" value={preferences.defaultNamespace} onChange={(defaultNamespace) => setPreferences({ defaultNamespace })} />
        <button type="button" className="secondary" onClick={() => {
            setPreferences({ onboarded: false })
            navigate('/onboarding')
          }}>
          Show the getting-started guide again
        </button>
      </form>
    </>
  )
}
