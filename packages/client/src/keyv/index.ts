export { StrataKeyvStore, type StrataKeyvStoreOptions } from './strata-keyv-store.js'
