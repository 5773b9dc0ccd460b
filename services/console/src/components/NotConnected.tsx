/** What a page shows when config.json names no URL for the service it needs, and how to connect it. */
export function NotConnected({ service, envVar, how }: { service: string; envVar: string; how: string }) {
  return (
    <section className="card notice" aria-labelledby="not-connected-title">
      <h2 id="not-connected-title">{service} is not connected</h2>
      <p>{how}</p>
      <p>
        Start the gateway with <code>{envVar}</code> set to the service&apos;s URL (it is published in <code>/console/config.json</code>), and add the
        console&apos;s origin to the service&apos;s <code>STRATA_CORS_ORIGINS</code>. See the console guide (docs/guides/console.md).
      </p>
    </section>
  )
}
