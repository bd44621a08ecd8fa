import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * How often the event-loop lag is sampled, in ms. prom-client's default (10)
 * arms a timer that woke every process 100 times a second while idle (most of
 * a service's idle wake-ups); 100 still samples ten times a second.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** The process's Prometheus registry, with Node's default metrics. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'cairn_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

export const httpRequestDuration = new Histogram({
  name: 'cairn_http_request_duration_seconds',
  help: 'HTTP request latency at the gateway, by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const grpcRequestDuration = new Histogram({
  name: 'cairn_grpc_server_duration_seconds',
  help: 'gRPC handler latency, by service, method and outcome',
  labelNames: ['service', 'method', 'code'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  registers: [metricsRegistry],
});
