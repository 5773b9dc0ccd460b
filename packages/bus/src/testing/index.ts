// @strata/bus/testing — the Transport contract suite, for Strata's adapters and third-party ones.
export { runTransportContractSuite, type TransportContractOptions } from './transport-contract-suite.js'
