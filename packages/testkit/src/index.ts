export { servers, requireTcp, hostPorts, urlHostPort, type HostPort, type Handshake } from './servers.js'
export {
  requireRedis,
  requireQueueRedis,
  requireRedisCluster,
  requireSentinel,
  requireMemcached,
  requireKafka,
  requirePostgres,
  requireZipkin,
} from './require-server.js'
export { serversFromContainers } from './containers/servers-mode.js'
export { stopServerContainers } from './containers/server-containers.js'
export { serverImages, imageName } from './containers/server-images.js'
export { uniqueName } from './unique-name.js'
export { RedisProcess, type RedisProcessOptions } from './redis-process.js'
export { startThrowawayRedis, type ThrowawayRedis } from './throwaway-redis.js'
export { waitUntil, eventually } from './wait.js'
export { TcpProxy } from './tcp-proxy.js'
export { KafkaProcess } from './kafka-process.js'
export { NginxProcess } from './nginx-process.js'
export { seededRandom, zipfKeys, loopKeys, zipfWithScans, type ZipfOptions } from './workloads/zipf.js'
export {
  ADVERSARIAL_FAMILIES,
  ADVERSARIAL_LENGTHS,
  backwardLoop,
  compact,
  mixture,
  phases,
  scanIntoZipf,
  shortZipf,
  slidingWindow,
  zigzag,
  type AdversarialFamily,
} from './workloads/adversarial.js'
export { ServiceProcess } from './service-process.js'
export { RedisClusterProcess, type RedisClusterProcessOptions, type ClusterNodeInfo } from './redis-cluster-process.js'
export { SentinelGroupProcess, type SentinelGroupOptions } from './sentinel-group-process.js'
export { MemcachedProcess, type MemcachedProcessOptions } from './memcached-process.js'
export { PROCESS_ADMIN_KEY, startGatewayProcess, type GatewayProcess } from './gateway-process.js'
export { freePort } from './free-port.js'
export { startPlatformProcess, type PlatformProcess, type PlatformUrls } from './platform-process.js'
