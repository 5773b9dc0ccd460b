export { servers, requireTcp, hostPorts, type HostPort } from './servers.js'
