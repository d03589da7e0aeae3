/*
 * The providers' own records as callnorm hands them out (include=raw on
 * lists, raw on details), minus what must never leave: credentials.
 * Providers put them in their records (verbex web calls carry the
 * access_token a browser joins with; voicy's function calls echo the
 * headers they sent), so raw text is always written through here.
 */
#ifndef CN_RAW_H
#define CN_RAW_H

#include <stdbool.h>

struct buf;
struct jv;

/*
 * True for a key that names a credential: credentials, headers or
 * access_token, or one containing secret, password, apikey, api_key,
 * authtoken or auth_token, compared ignoring case.
 */
bool raw_key_is_credential(const char *key);

/* Writes v as JSON without any member whose key is a credential, at any
 * depth; null when v is NULL. */
int raw_write(struct buf *, const struct jv *v);

#endif
