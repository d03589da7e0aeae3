/* Reading a parsed JSON tree, and writing it back as text. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_int.h"

/* The text of a number: in the pool, or unpacked into tmp. */
const char *
json_num_text(const struct jv *v, char tmp[NUM_INLINE + 1])
{
	uint32_t code = v->w >> 4;
	size_t i;

	if (!(v->w & 1u << 3))
		return etext(v);
	for (i = 0; i < NUM_INLINE && (code & 15) != 15; i++, code >>= 4)
		tmp[i] = NUM_CHARS[code & 15];
	tmp[i] = '\0';
	return tmp;
}

enum jtype
jv_type(const struct jv *v)
{
	if (v == NULL)
		return J_NULL;
	return etype(v) == T_ARR1 ? J_ARR : (enum jtype)etype(v);
}

size_t
jv_len(const struct jv *v)
{
	if (v == NULL)
		return 0;
	switch (etype(v)) {
	case J_STR:
		return strlen(etext(v));
	case J_ARR:
	case J_OBJ:
		return eoff(v) == 0 ? 0 : eblock(v)->w;
	case T_ARR1:
		return 1;
	default:
		return 0;
	}
}

const struct jv *
jv_get(const struct jv *o, const char *key)
{
	const struct jv *m;
	uint32_t i;

	if (o == NULL || etype(o) != J_OBJ || eoff(o) == 0)
		return NULL;
	m = eblock(o);
	/* Last duplicate wins, as in most parsers providers are built on. */
	for (i = m->w; i-- > 0;)
		if (strcmp(etext(&m[1 + 2 * i]), key) == 0)
			return &m[2 + 2 * i];
	return NULL;
}

const char *
jv_str(const struct jv *v)
{
	return v != NULL && etype(v) == J_STR ? etext(v) : NULL;
}

bool
jv_is_null(const struct jv *v)
{
	return v == NULL || etype(v) == J_NULL;
}

int
jv_int(const struct jv *v, int64_t *out)
{
	char buf[NUM_INLINE + 1];
	const char *tmp;
	char *end;
	long long r;
	double d;

	if (v == NULL || etype(v) != J_NUM)
		return -1;
	tmp = json_num_text(v, buf);
	if (strpbrk(tmp, ".eE") == NULL) {
		errno = 0;
		r = strtoll(tmp, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		*out = r;
		return 0;
	}
	/* 1.0 or 1e3 are integers too, when exact. */
	d = strtod(tmp, &end);
	if (*end != '\0' || !isfinite(d) || d != floor(d) || d > 9.0e15 ||
	    d < -9.0e15)
		return -1;
	*out = (int64_t)d;
	return 0;
}

int
jv_num(const struct jv *v, double *out)
{
	char buf[NUM_INLINE + 1];
	char *end;
	double d;

	if (v == NULL || etype(v) != J_NUM)
		return -1;
	d = strtod(json_num_text(v, buf), &end);
	if (*end != '\0' || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

int
jv_bool(const struct jv *v)
{
	if (v == NULL)
		return -1;
	if (etype(v) == J_TRUE)
		return 1;
	if (etype(v) == J_FALSE)
		return 0;
	return -1;
}

size_t
jv_count(const struct jv *v)
{
	return jv_type(v) == J_ARR ? jv_len(v) : 0;
}

const struct jv *
jv_item(const struct jv *v, size_t i)
{
	if (v == NULL || i >= jv_count(v))
		return NULL;
	if (etype(v) == T_ARR1)
		return eblock(v);
	return eblock(v) + 1 + i;
}

int
jv_write(struct buf *b, const struct jv *v)
{
	return jv_write_except(b, v, NULL);
}

int
jv_write_except(
    struct buf *b, const struct jv *v, bool (*drop)(const char *key))
{
	bool first;
	char buf[NUM_INLINE + 1];
	const struct jv *m;
	uint32_t i, n;
	const char *s;

	switch (etype(v)) {
	case J_NULL:
		return buf_add(b, "null", 4);
	case J_TRUE:
		return buf_add(b, "true", 4);
	case J_FALSE:
		return buf_add(b, "false", 5);
	case J_NUM:
		return buf_adds(b, json_num_text(v, buf));
	case J_STR:
		s = etext(v);
		return buf_json_str(b, s, strlen(s));
	case T_ARR1:
		buf_addc(b, '[');
		jv_write_except(b, eblock(v), drop);
		return buf_addc(b, ']');
	case J_ARR:
		buf_addc(b, '[');
		n = (uint32_t)jv_len(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			jv_write_except(b, eblock(v) + 1 + i, drop);
		}
		return buf_addc(b, ']');
	case J_OBJ:
		buf_addc(b, '{');
		n = (uint32_t)jv_len(v);
		m = n > 0 ? eblock(v) + 1 : NULL;
		for (i = 0, first = true; i < n; i++) {
			if (drop != NULL && drop(etext(&m[2 * i])))
				continue;
			if (!first)
				buf_addc(b, ',');
			first = false;
			jv_write_except(b, &m[2 * i], drop);
			buf_addc(b, ':');
			jv_write_except(b, &m[2 * i + 1], drop);
		}
		return buf_addc(b, '}');
	}
	return -1;
}
