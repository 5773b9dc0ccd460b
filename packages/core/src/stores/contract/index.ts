export {
  runL2ContractSuite,
  type L2ContractCapabilities,
  type L2ContractOptions,
  type L2ContractSubject,
} from './l2-contract-suite.js'
