import { z } from 'zod';
import { RNNKIT_VERSION } from '@rnnkit/core';
import type { ServedModel } from './models.js';

type JsonSchema = Record<string, unknown>;

/** The JSON Schema of a predictor's input (zod's own conversion; refinements it cannot express are left out). */
export function inputJsonSchema(model: ServedModel): JsonSchema {
  try {
    const schema = z.toJSONSchema(model.predictor.inputSchema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    delete schema.$schema;
    return schema;
  } catch {
    return { type: 'object' };
  }
}

/** Chat models: their input has a `history` field (the conversation so far), which sessions keep server-side. */
export function historyLimit(schema: JsonSchema): number | undefined {
  const history = (schema.properties as Record<string, JsonSchema> | undefined)?.history;
  if (!history) return undefined;
  return typeof history.maxItems === 'number' ? history.maxItems : Number.POSITIVE_INFINITY;
}

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const LIMIT_RESPONSES = {
  '400': error('invalid input: the message names the field'),
  '401': error('missing or wrong bearer token (when the server has one)'),
  '404': error('no such model (or session)'),
  '413': error('body larger than the limit'),
  '415': error('not application/json'),
  '429': error('the model has as many requests in flight as it admits; see Retry-After'),
  '503': error('shutting down, or the request waited longer than the timeout; see Retry-After'),
  '504': error('decoding ran longer than the timeout'),
};

/** The OpenAPI 3.1 document of the served models, generated from their input schemas. */
export function openApiDocument(models: readonly ServedModel[], opts: { token: boolean }): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/healthz': { get: { summary: 'liveness: the process answers', security: [], responses: { '200': { description: 'ok' } } } },
    '/readyz': {
      get: { summary: 'readiness: every model loaded and not shutting down', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } },
    },
    '/metrics': { get: { summary: 'Prometheus metrics (text format)', responses: { '200': { description: 'metrics', content: { 'text/plain': {} } } } } },
    '/openapi.json': { get: { summary: 'this document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
  };
  for (const model of models) {
    const input = inputJsonSchema(model);
    const streams = typeof model.predictor.stream === 'function';
    const example = model.definition?.predict.example;
    const body = streams
      ? { ...input, properties: { ...(input.properties as object), stream: { type: 'boolean', description: 'answer with server-sent events: one "token" event per piece of text, then "done" with the output' } } }
      : input;
    const ok = {
      description: 'the prediction',
      content: {
        'application/json': { schema: { type: 'object' } },
        ...(streams ? { 'text/event-stream': { schema: { type: 'string', description: 'event: token / data: {"text": ...}, then event: done / data: <output> (or event: error)' } } } : {}),
      },
    };
    paths[`/v1/${model.name}/predict`] = {
      post: {
        summary: `${model.app}: predict${model.predictor.predictBatch ? ' (concurrent requests are micro-batched)' : ''}`,
        operationId: `${model.name}-predict`,
        tags: [model.name],
        requestBody: { required: true, content: { 'application/json': { schema: body, ...(example !== undefined ? { example } : {}) } } },
        responses: { '200': ok, ...LIMIT_RESPONSES },
      },
    };
    const turns = historyLimit(input);
    if (turns === undefined) continue;
    const props = { ...(input.properties as Record<string, unknown>) };
    delete props.history;
    const message = { ...input, properties: { ...props, ...(streams ? { stream: { type: 'boolean' } } : {}) }, required: ((input.required as string[] | undefined) ?? []).filter((f) => f !== 'history') };
    const { history: _h, ...messageExample } = (example ?? {}) as Record<string, unknown>;
    const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
    const session = { type: 'object', properties: { id: { type: 'string' }, history: { type: 'array', items: { type: 'string' } }, expiresAt: { type: 'string' } } };
    paths[`/v1/${model.name}/sessions`] = {
      post: {
        summary: `${model.app}: start a chat session (the server keeps its history)`, operationId: `${model.name}-session-create`, tags: [model.name],
        responses: { '201': { description: 'the session', content: { 'application/json': { schema: session } } }, ...LIMIT_RESPONSES },
      },
    };
    paths[`/v1/${model.name}/sessions/{id}`] = {
      get: { summary: 'the session and its history', operationId: `${model.name}-session-get`, tags: [model.name], parameters: [id], responses: { '200': { description: 'the session', content: { 'application/json': { schema: session } } }, '404': LIMIT_RESPONSES['404'] } },
      delete: { summary: 'end the session', operationId: `${model.name}-session-delete`, tags: [model.name], parameters: [id], responses: { '204': { description: 'deleted' }, '404': LIMIT_RESPONSES['404'] } },
    };
    paths[`/v1/${model.name}/sessions/{id}/messages`] = {
      post: {
        summary: `${model.app}: the next message of the session; the reply is added to its history`,
        operationId: `${model.name}-session-message`, tags: [model.name], parameters: [id],
        requestBody: { required: true, content: { 'application/json': { schema: message, ...(example !== undefined ? { example: messageExample } : {}) } } },
        responses: { '200': ok, '409': error('another message of this session is being answered'), ...LIMIT_RESPONSES },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'rnnkit-serve', version: RNNKIT_VERSION, description: 'rnnkit models over HTTP: one predict route per model, generated from its input schema.' },
    paths,
    components: {
      schemas: { Error: { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } },
      ...(opts.token ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}),
    },
    ...(opts.token ? { security: [{ bearer: [] }] } : {}),
  };
}
