export { runApiKeyStoreContract } from './api-key-store-contract.js'
