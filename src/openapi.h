/*
 * The OpenAPI description served at GET /openapi.json: docs/openapi.json
 * (written from docs/openapi.yaml by tools/openapi-json.mjs), compiled
 * into the binary by the build (src/openapi_json.c is generated).
 */
#ifndef CN_OPENAPI_H
#define CN_OPENAPI_H

#include <stddef.h>

extern const char openapi_json[];
extern const size_t openapi_json_len;

#endif
