/** How the Overview's charts and tiles print their values. */
export const ratio = (value: number): string => `${Math.round(value * 100)} %`
export const perSecond = (value: number): string => (value >= 100 ? `${Math.round(value)}/s` : `${value.toFixed(1)}/s`)
export const ms = (value: number): string => `${value >= 10 ? Math.round(value) : value.toFixed(1)} ms`
