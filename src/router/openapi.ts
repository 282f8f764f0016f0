import { readFileSync } from 'node:fs';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Where the API description is served; both are public (they hold no secret), as /healthz is. */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

const DESCRIPTION = `The learnloop router: serves model versions by their routes, stores every request and its feedback,
and serves the learning cycle's applications. Generated from the zod schemas that validate each route
(src/router/schemas.ts). Feedback is answered 202 only once committed. Every 503 carries \`Retry-After\` (seconds).`;

/** Response headers the document states for every answer with that status, as the router sends them. */
const STATUS_HEADERS: Record<string, Record<string, OpenAPIV3_1.HeaderObject>> = {
  '401': {
    'WWW-Authenticate': { required: true, description: 'Always `Bearer`.', schema: { type: 'string', enum: ['Bearer'] } },
  },
  '503': {
    'Retry-After': {
      required: true,
      description: "Seconds to wait before retrying (the writer's next retry while the database is down).",
      schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
    },
  },
};

function withStatusHeaders(doc: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const responses = item?.[method]?.responses as Record<string, OpenAPIV3_1.ResponseObject> | undefined;
      for (const [status, response] of Object.entries(responses ?? {})) {
        if (STATUS_HEADERS[status]) response.headers = { ...response.headers, ...STATUS_HEADERS[status] };
      }
    }
  }
  return doc;
}

/** A route's schema as the document states it: zod schemas turned into JSON Schema 2020-12. */
export const routeTransform = createJsonSchemaTransform({ skipList: [OPENAPI_PATH] });

/**
 * @fastify/swagger's options: OpenAPI 3.1 from the routes' zod schemas (fastify-type-provider-zod's transforms). It
 * must be registered before any route. With `auth`, every operation needs the bearer token unless its route schema
 * says `security: []`.
 */
export function openApiOptions(options: { auth: boolean }): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'learnloop router', version, description: DESCRIPTION },
      ...(options.auth
        ? {
            components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'LEARNLOOP_API_TOKEN' } } },
            security: [{ bearer: [] }],
          }
        : {}),
    },
    transform: routeTransform,
    transformObject: (documentObject) => withStatusHeaders(jsonSchemaTransformObject(documentObject) as OpenAPIV3_1.Document),
  };
}

/**
 * The document at /openapi.json and Swagger UI at /docs, whose assets come from the package (nothing is fetched
 * from a CDN, and the online spec validator is off), all served without the token.
 */
export const openApiRoutes: FastifyPluginAsync = async (docs) => {
  docs.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true };
  });
  // validatorUrl is left unset: the plugin then passes null, which keeps Swagger UI from calling validator.swagger.io.
  await docs.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { deepLinking: true } });
  docs.get(OPENAPI_PATH, { schema: { hide: true } }, () => Promise.resolve(docs.swagger()));
};
