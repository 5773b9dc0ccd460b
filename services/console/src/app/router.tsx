import { useCallback, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react'

// A history router in a few lines: the console has a flat set of pages, so react-router's weight buys nothing.
// Paths are relative to the SPA's base (/console/); the gateway serves index.html for any of them.
const BASE = import.meta.env.BASE_URL.replace(/\/$/, '')

export function currentPath(): string {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : window.location.pathname
  return path === '' ? '/' : path
}

export function navigate(path: string): void {
  if (path === currentPath()) return
  window.history.pushState(null, '', `${BASE}${path}`)
  window.dispatchEvent(new PopStateEvent('popstate'))
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath)
  useEffect(() => {
    const update = () => setPath(currentPath())
    window.addEventListener('popstate', update)
    return () => window.removeEventListener('popstate', update)
  }, [])
  return path
}

/** An <a> with a real href (open in a new tab works) that navigates in place on a plain click. */
export function Link({ to, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const onClick = useCallback(
    (event: MouseEvent<HTMLAnchorElement>) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
      event.preventDefault()
      navigate(to)
    },
    [to],
  )
  return <a href={`${BASE}${to}`} onClick={onClick} {...rest} />
}
