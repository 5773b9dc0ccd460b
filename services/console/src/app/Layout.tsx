import { useEffect, useRef } from 'react'
import { AlertsPage } from '../pages/AlertsPage.js'
import { AnalyticsPage } from '../pages/AnalyticsPage.js'
import { AuditPage } from '../pages/AuditPage.js'
import { InvalidationPage } from '../pages/InvalidationPage.js'
import { KeyBrowserPage } from '../pages/KeyBrowserPage.js'
import { NamespacesPage } from '../pages/NamespacesPage.js'
import { OnboardingPage } from '../pages/OnboardingPage.js'
import { OverviewPage } from '../pages/OverviewPage.js'
import { SettingsPage } from '../pages/SettingsPage.js'
import { useConsole } from './console-context.js'
import { Link, usePath } from './router.js'

const PAGES = [
  { path: '/', label: 'Overview', Page: OverviewPage },
  { path: '/namespaces', label: 'Namespaces', Page: NamespacesPage },
  { path: '/keys', label: 'Key browser', Page: KeyBrowserPage },
  { path: '/invalidation', label: 'Invalidation', Page: InvalidationPage },
  { path: '/analytics', label: 'Analytics', Page: AnalyticsPage },
  { path: '/alerts', label: 'Alerts', Page: AlertsPage },
  { path: '/audit', label: 'Audit', Page: AuditPage },
  { path: '/settings', label: 'Settings', Page: SettingsPage },
  { path: '/onboarding', label: 'Get started', Page: OnboardingPage },
] as const

/** Landmarks (banner, navigation, main), a skip link, and the page for the current path. */
export function Layout() {
  const { keyId, signOut, preferences, config } = useConsole()
  const path = usePath()
  // A user who has not been through the guide lands on it first.
  const page = !preferences.onboarded && path === '/' ? PAGES.find((candidate) => candidate.path === '/onboarding')! : (PAGES.find((candidate) => candidate.path === path) ?? PAGES[0])
  const main = useRef<HTMLElement>(null)
  const first = useRef(true)
  useEffect(() => {
    document.title = `${page.label} · Strata console`
    // Keyboard and screen-reader users start at the new page's content after a navigation, not at the top.
    if (first.current) first.current = false
    else main.current?.focus()
  }, [page])
  const { Page } = page
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Strata console</span>
        <span className="mode">{config.mode === 'embedded' ? 'embedded' : 'gateway'} · {config.version === 'unknown' ? 'version unknown' : `v${config.version}`}</span>
        <span className="who">
          key <code>{keyId}</code>
        </span>
        <button type="button" className="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div className="shell">
        <nav aria-label="Console sections" className="sidenav">
          <ul>
            {PAGES.map((candidate) => (
              <li key={candidate.path}>
                <Link to={candidate.path} aria-current={candidate === page ? 'page' : undefined}>
                  {candidate.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" ref={main} tabIndex={-1}>
          <Page />
        </main>
      </div>
    </>
  )
}
