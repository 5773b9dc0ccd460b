import { generateApiKeyToken } from '@strata/security'

// Prints a fresh API key token, e.g. for STRATA_BOOTSTRAP_ADMIN_KEY. Nothing is stored: the gateway stores it at start.
console.log(generateApiKeyToken().token)
