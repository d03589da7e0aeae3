/*
 * [access]: which authenticated users (REMOTE_USER) may read which
 * providers.  A rule names providers that may be declared after it, so
 * the rules are kept as text and resolved once the file is read.
 */
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

void
conf_access_key(struct loader *ld, int line, const char *k, const char *v)
{
	void *np;
	size_t n;

	if (ld->c->nrules == ACCESS_MAX_RULES) {
		if (!ld->too_many_rules)
			conf_problem(ld, line, "more than %d [access] rules",
			    ACCESS_MAX_RULES);
		ld->too_many_rules = true;
		return;
	}
	/* both arrays grow by doubling: a long [access] loads in linear
	 * time */
	if (ld->npending == ld->pending_cap) {
		n = ld->pending_cap ? ld->pending_cap * 2 : 16;
		np = realloc(ld->pending, n * sizeof(*ld->pending));
		if (np == NULL) {
			conf_problem(ld, line, "out of memory");
			return;
		}
		ld->pending = np;
		ld->pending_cap = n;
	}
	ld->pending[ld->npending].line = line;
	if ((ld->pending[ld->npending].value = strdup(v)) == NULL) {
		conf_problem(ld, line, "out of memory");
		return;
	}
	ld->npending++;
	if (ld->c->nrules == ld->rules_cap) {
		n = ld->rules_cap ? ld->rules_cap * 2 : 16;
		np = realloc(ld->c->rules, n * sizeof(*ld->c->rules));
		if (np == NULL) {
			conf_problem(ld, line, "out of memory");
			return;
		}
		ld->c->rules = np;
		ld->rules_cap = n;
	}
	if ((ld->c->rules[ld->c->nrules].user = strdup(k)) == NULL) {
		conf_problem(ld, line, "out of memory");
		return;
	}
	ld->c->rules[ld->c->nrules].providers = 0;
	ld->c->nrules++;
}

void
conf_access_resolve(struct loader *ld)
{
	size_t r, idx;
	char *v, *tok, *save;

	for (r = 0; r < ld->npending && r < ld->c->nrules; r++) {
		v = ld->pending[r].value;
		if (v == NULL)
			continue;
		for (tok = strtok_r(v, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			tok = conf_trim(tok);
			if (*tok == '\0') {
				conf_problem(ld, ld->pending[r].line,
				    "empty provider name in access list");
				continue;
			}
			if (conf_provider(ld->c, tok, &idx) == NULL)
				conf_problem(ld, ld->pending[r].line,
				    "access list names unknown provider '%s'",
				    tok);
			else
				ld->c->rules[r].providers |= UINT64_C(1) << idx;
		}
	}
	for (r = 0; r < ld->npending; r++)
		free(ld->pending[r].value);
	free(ld->pending);
	ld->pending = NULL;
	ld->npending = ld->pending_cap = 0;
}

enum conf_verdict
conf_access(const struct config *c, const char *user, uint64_t *mask)
{
	size_t i;

	if (!c->has_access) {
		*mask = c->nproviders == 64
		    ? UINT64_MAX
		    : (UINT64_C(1) << c->nproviders) - 1;
		return CONF_ALLOWED;
	}
	if (user == NULL || *user == '\0')
		return CONF_DENIED;
	*mask = 0;
	for (i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].user, user) == 0) {
			*mask = c->rules[i].providers;
			return CONF_ALLOWED;
		}
	for (i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].user, "*") == 0)
			*mask = c->rules[i].providers;
	return CONF_ALLOWED;
}
