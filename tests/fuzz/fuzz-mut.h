/*
 * The input format and custom mutator of the structure-aware fuzzers
 * (fuzz-route.c, fuzz-wsmsg.c): a few header bytes, then fields, each a
 * 2-byte little-endian length and its bytes. A mutation changes one
 * header byte (a selector byte to one of its valid values, mostly) or one
 * field; the JSON field, half the time, as JSON: a key the daemon reads
 * set to a value of a kind its checks tell apart, or one removed.
 */
#ifndef FUZZ_MUT_H
#define FUZZ_MUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define FUZZ_MAX_HDR	8
#define FUZZ_MAX_FIELDS	16

size_t	LLVMFuzzerMutate(uint8_t *, size_t, size_t);

struct fuzz_shape {
	size_t			 hdr;		/* header bytes */
	size_t			 nfields;
	int			 body;		/* the JSON field */
	int			 sel;		/* a selector header byte, */
	const char *const	*keys;		/* JSON keys, NULL-ended */
	const char *const	*strings;	/* string values, NULL-ended */
};

struct fuzz_in {
	uint8_t		 hdr[FUZZ_MAX_HDR];
	const uint8_t	*f[FUZZ_MAX_FIELDS];
	size_t		 len[FUZZ_MAX_FIELDS];
};

/* Lenient: a short input leaves the rest zero or empty. */
static void
fuzz_in_parse(const struct fuzz_shape *s, const uint8_t *d, size_t n,
    struct fuzz_in *in)
{
	size_t	 i, l;

	memset(in, 0, sizeof *in);
	for (i = 0; i < s->hdr && i < n; i++)
		in->hdr[i] = d[i];
	d += i;
	n -= i;
	for (i = 0; i < s->nfields; i++) {
		in->f[i] = (const uint8_t *)"";
		if (n < 2)
			continue;
		l = (size_t)d[0] | (size_t)d[1] << 8;
		d += 2;
		n -= 2;
		if (l > n)
			l = n;
		in->f[i] = d;
		in->len[i] = l;
		d += l;
		n -= l;
	}
}

/* Into out (max bytes); a field that does not fit is cut. */
static size_t
fuzz_in_write(const struct fuzz_shape *s, const struct fuzz_in *in,
    uint8_t *out, size_t max)
{
	size_t	 n = 0, l;

	if (max < s->hdr)
		return 0;
	memcpy(out, in->hdr, s->hdr);
	n = s->hdr;
	for (size_t i = 0; i < s->nfields && n + 2 <= max; i++) {
		l = in->len[i];
		if (l > max - n - 2)
			l = max - n - 2;
		out[n++] = (uint8_t)(l & 0xff);
		out[n++] = (uint8_t)(l >> 8);
		memmove(out + n, in->f[i], l);
		n += l;
	}
	return n;
}

static uint32_t
fuzz_rand(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static size_t
fuzz_count(const char *const *v)
{
	size_t	 n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

static json_t *
fuzz_value(const struct fuzz_shape *s, uint32_t *rs, int depth)
{
	static const long long	 ints[] = { 0, 1, -1, 2, 5, 10, 16, 59, 60,
	    99, 100, 101, 200, 201, 255, 256, 600, 601, 1000, 3600, 3601,
	    10000, 86400, 2147483647LL, 2147483648LL, -2147483649LL,
	    9007199254740993LL };
	static const size_t	 lens[] = { 0, 1, 16, 17, 32, 33, 36, 37, 64,
	    65, 100, 101, 200, 201, 254, 255, 256, 1001, 10001 };
	static const char *const uuids[] = {
	    "11111111-1111-4111-8111-111111111111",
	    "22222222-2222-4222-8222-222222222222",
	    "33333333-3333-4333-8333-333333333333",
	    "00000000-0000-0000-0000-000000000000",
	    "11111111-1111-4111-8111-11111111111G" };
	size_t		 ns = fuzz_count(s->strings), nk = fuzz_count(s->keys);
	json_t		*v;
	char		*buf;
	size_t		 l;

	switch (fuzz_rand(rs) % (depth > 1 ? 7 : 9)) {
	case 0:
	case 1:
		return json_string(ns ? s->strings[fuzz_rand(rs) % ns] : "");
	case 2:
		return json_string(uuids[fuzz_rand(rs) % 5]);
	case 3:
		return json_integer(ints[fuzz_rand(rs) % (sizeof ints /
		    sizeof ints[0])]);
	case 4:
		switch (fuzz_rand(rs) % 4) {
		case 0:
			return json_true();
		case 1:
			return json_false();
		case 2:
			return json_null();
		default:
			return json_real(1.5);
		}
	case 5:
	case 6:
		l = lens[fuzz_rand(rs) % (sizeof lens / sizeof lens[0])];
		buf = malloc(l + 1);
		memset(buf, fuzz_rand(rs) & 1 ? 'a' : ' ', l);
		/* A two-byte character at the end: bytes or characters? */
		if (l >= 2 && fuzz_rand(rs) & 1) {
			buf[l - 2] = (char)0xc3;
			buf[l - 1] = (char)0xa9;
		}
		v = json_stringn(buf, l);
		free(buf);
		return v;
	case 7:
		v = json_array();
		for (l = fuzz_rand(rs) % 4; l > 0; l--)
			json_array_append_new(v, fuzz_value(s, rs, depth + 1));
		return v;
	default:
		v = json_object();
		for (l = fuzz_rand(rs) % 3; l > 0 && nk > 0; l--)
			json_object_set_new(v, s->keys[fuzz_rand(rs) % nk],
			    fuzz_value(s, rs, depth + 1));
		return v;
	}
}

/* The JSON field as JSON: into buf (max bytes), its new length or 0. */
static size_t
fuzz_mutate_json(const struct fuzz_shape *s, const uint8_t *d, size_t n,
    uint8_t *buf, size_t max, uint32_t *rs)
{
	json_t		*o = json_loadb((const char *)d, n, 0, NULL), *v;
	size_t		 nk = fuzz_count(s->keys), l = 0, i;
	const char	*k;
	char		*out;

	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	i = json_object_size(o);
	i = i > 0 ? fuzz_rand(rs) % i : 0;	/* a key of o, for 0 and 1 */
	switch (fuzz_rand(rs) % 6) {
	case 0:		/* drop a key */
		json_object_foreach(o, k, v) {
			if (i-- == 0) {
				json_object_del(o, k);
				break;
			}
		}
		break;
	case 1:		/* an existing key, another value */
		json_object_foreach(o, k, v) {
			if (i-- == 0) {
				json_object_set_new(o, k, fuzz_value(s, rs, 0));
				break;
			}
		}
		break;
	default:
		if (nk > 0)
			json_object_set_new(o, s->keys[fuzz_rand(rs) % nk],
			    fuzz_value(s, rs, 0));
	}
	if ((out = json_dumps(o, JSON_COMPACT)) != NULL) {
		l = strlen(out);
		if (l <= max)
			memcpy(buf, out, l);
		else
			l = 0;
		free(out);
	}
	json_decref(o);
	return l;
}

/*
 * The mutator: nsel is how many values the selector byte has (routes,
 * message types); they are picked half the time it is mutated.
 */
static size_t
fuzz_mutate(const struct fuzz_shape *s, uint8_t *data, size_t size,
    size_t max, unsigned int seed, size_t nsel)
{
	struct fuzz_in	 in;
	uint32_t	 rs = seed | 1;
	uint8_t		*buf;
	size_t		 which, l, cap;

	fuzz_in_parse(s, data, size, &in);
	which = fuzz_rand(&rs) % (s->nfields + 2);
	if (which >= s->nfields) {	/* a header byte */
		if (nsel > 0 && fuzz_rand(&rs) & 1)
			in.hdr[s->sel] = (uint8_t)(fuzz_rand(&rs) % nsel);
		else
			in.hdr[fuzz_rand(&rs) % s->hdr] ^= (uint8_t)(1u <<
			    (fuzz_rand(&rs) % 8));
		buf = malloc(max + 1);
		l = fuzz_in_write(s, &in, buf, max);
		memcpy(data, buf, l);
		free(buf);
		return l;
	}
	/* The field mutated in a copy, then the whole written back. */
	cap = max > 4096 ? max : 4096;
	buf = malloc(cap);
	l = in.len[which];
	memcpy(buf, in.f[which], l);
	if ((int)which == s->body && fuzz_rand(&rs) % 2 == 0)
		l = fuzz_mutate_json(s, in.f[which], in.len[which], buf, cap,
		    &rs);
	else
		l = LLVMFuzzerMutate(buf, l, cap);
	in.f[which] = buf;
	in.len[which] = l;
	{
		uint8_t	*out = malloc(max + 1);

		l = fuzz_in_write(s, &in, out, max);
		memcpy(data, out, l);
		free(out);
	}
	free(buf);
	return l;
}

#endif
