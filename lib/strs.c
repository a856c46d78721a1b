/*
 * strs.c - str and bytes objects: census, duplicates, searches, digests.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"
#include "strs.h"

#define MAX_LEN (1ULL << 40)	/* longer values are corrupt headers */
#define NBUCKETS 42		/* lengths up to 2^41 */

static const char *const kind_names[PM_SK_COUNT] = {
	"ascii", "latin1", "ucs2", "ucs4", "bytes",
};

const char *
pm_strs_kind_name(enum pm_strkind k)
{
	return (unsigned)k < PM_SK_COUNT ? kind_names[k] : "?";
}

int
pm_strs_get(const struct pm_heap *h, size_t i, struct pm_strobj *so)
{
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_obj *o = &pm_heap_objs(h)[i];
	const struct pm_type *ty = pm_heap_type_of(h, i);
	uint64_t len, data;

	memset(so, 0, sizeof(*so));
	so->idx = i;
	if (ty->kind == PM_KIND_STR) {
		struct pm_strinfo si;
		if (pm_heap_strinfo(h, o->addr, &si) < 0)
			return 0;
		so->width = (unsigned)si.kind;
		so->kind = si.kind == 1 ? (si.ascii ? PM_SK_ASCII : PM_SK_LATIN1) :
		    si.kind == 2 ? PM_SK_UCS2 : PM_SK_UCS4;
		len = si.len;
		data = si.data;
	} else if (ty->kind == PM_KIND_BYTES) {
		if (pm_snap_u64(s, o->addr + (uint64_t)PM_L(l, VAROBJECT_SIZE),
		    &len) < 0)
			return 0;
		so->width = 1;
		so->kind = PM_SK_BYTES;
		data = o->addr + (uint64_t)PM_L(l, BYTES_SVAL);
	} else {
		return 0;
	}
	if (len > MAX_LEN)
		return 0;
	so->len = len;
	if (len == 0)
		so->data = (const unsigned char *)"";
	else if (data)
		so->data = pm_snap_ptr(s, data, (size_t)(len * so->width));
	return 1;
}

uint32_t
pm_strs_at(const struct pm_strobj *so, uint64_t j)
{
	const unsigned char *p = so->data + j * so->width;

	if (so->width == 1)
		return p[0];
	if (so->width == 2)
		return (uint32_t)p[0] | (uint32_t)p[1] << 8;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* ---- SHA-256 (FIPS 180-4), for the redaction digest ---- */

struct sha256 {
	uint32_t h[8];
	uint64_t n;
	unsigned char buf[64];
	size_t nbuf;
};

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void
sha256_block(struct sha256 *c, const unsigned char *p)
{
	uint32_t w[64], a, b, d, e, f, g, hh, cc, t1, t2;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ w[i - 2] >> 10;
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; hh = c->h[7];
	for (int i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
		    K256[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		    ((a & b) ^ (a & cc) ^ (b & cc));
		hh = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += hh;
}

static void
sha256_init(struct sha256 *c)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
		0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(c->h, iv, sizeof(iv));
	c->n = 0;
	c->nbuf = 0;
}

static void
sha256_update(struct sha256 *c, const unsigned char *p, size_t n)
{
	c->n += n;
	if (c->nbuf) {
		size_t k = 64 - c->nbuf < n ? 64 - c->nbuf : n;
		memcpy(c->buf + c->nbuf, p, k);
		c->nbuf += k;
		p += k;
		n -= k;
		if (c->nbuf < 64)
			return;
		sha256_block(c, c->buf);
		c->nbuf = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(c, p);
	memcpy(c->buf, p, n);
	c->nbuf = n;
}

static void
sha256_final(struct sha256 *c, unsigned char out[32])
{
	uint64_t bits = c->n * 8;
	unsigned char pad[72] = { 0x80 };
	size_t npad = c->nbuf < 56 ? 56 - c->nbuf : 120 - c->nbuf;

	for (int i = 0; i < 8; i++)
		pad[npad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(c, pad, npad + 8);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (unsigned char)(c->h[i] >> (24 - 8 * j));
}

void
pm_strs_digest(const struct pm_strobj *so, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char chunk[512], md[32];
	struct sha256 c;
	size_t n = 0;

	if (so->data == NULL) {
		strcpy(out, "-");
		return;
	}
	sha256_init(&c);
	if (so->kind == PM_SK_ASCII || so->kind == PM_SK_BYTES) {
		sha256_update(&c, so->data, (size_t)so->len);
	} else {
		for (uint64_t j = 0; j < so->len; j++) {
			uint32_t u = pm_strs_at(so, j);
			if (n > sizeof(chunk) - 4) {
				sha256_update(&c, chunk, n);
				n = 0;
			}
			if (u > 0x10ffff)
				u = 0xfffd;
			if (u < 0x80) {
				chunk[n++] = (unsigned char)u;
			} else if (u < 0x800) {
				chunk[n++] = (unsigned char)(0xc0 | u >> 6);
				chunk[n++] = (unsigned char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				chunk[n++] = (unsigned char)(0xe0 | u >> 12);
				chunk[n++] = (unsigned char)(0x80 | (u >> 6 & 0x3f));
				chunk[n++] = (unsigned char)(0x80 | (u & 0x3f));
			} else {
				chunk[n++] = (unsigned char)(0xf0 | u >> 18);
				chunk[n++] = (unsigned char)(0x80 | (u >> 12 & 0x3f));
				chunk[n++] = (unsigned char)(0x80 | (u >> 6 & 0x3f));
				chunk[n++] = (unsigned char)(0x80 | (u & 0x3f));
			}
		}
		sha256_update(&c, chunk, n);
	}
	sha256_final(&c, md);
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[16] = '\0';
}

/* ---- census ---- */

static unsigned
bucket_of(uint64_t len)
{
	return len == 0 ? 0 : (unsigned)(64 - __builtin_clzll(len));
}

int
pm_strs_histogram(const struct pm_heap *h, struct pm_strs_bucket **rows,
    size_t *nrows, struct pm_err *e)
{
	struct pm_strs_bucket tab[PM_SK_COUNT][NBUCKETS];
	const struct pm_obj *objs = pm_heap_objs(h);
	size_t nobjs = pm_heap_nobjs(h), n = 0;
	struct pm_strobj so;

	memset(tab, 0, sizeof(tab));
	for (size_t i = 0; i < nobjs; i++) {
		if (!pm_strs_get(h, i, &so))
			continue;
		struct pm_strs_bucket *b = &tab[so.kind][bucket_of(so.len)];
		if (b->count == 0 || so.len < b->minlen)
			b->minlen = so.len;
		if (so.len > b->maxlen)
			b->maxlen = so.len;
		b->count++;
		b->bytes += objs[i].size;
	}
	*rows = malloc(sizeof(tab));
	if (*rows == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	for (int k = 0; k < PM_SK_COUNT; k++)
		for (unsigned b = 0; b < NBUCKETS; b++) {
			if (tab[k][b].count == 0)
				continue;
			(*rows)[n] = tab[k][b];
			(*rows)[n].kind = (enum pm_strkind)k;
			(*rows)[n].bucket = b;
			n++;
		}
	*nrows = n;
	return 0;
}

/* ---- duplicates ---- */

static uint64_t
hash_bytes(const unsigned char *p, size_t n, uint64_t seed)
{
	const uint64_t m = 0xc6a4a7935bd1e995ULL;
	uint64_t h = seed ^ (n * m);

	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		w *= m;
		w ^= w >> 47;
		w *= m;
		h ^= w;
		h *= m;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h ^= w;
		h *= m;
	}
	h ^= h >> 47;
	h *= m;
	h ^= h >> 47;
	return h;
}

struct group {
	uint64_t hash;
	uint64_t count, minsize;
	size_t rep;			/* object index of the lowest address */
	const unsigned char *data;	/* contents of rep */
	uint64_t len;
	unsigned width;
	int bytes;			/* bytes rather than str */
};

static int
cmp_dup(const void *a, const void *b, void *arg)
{
	const struct pm_strs_dup *x = a, *y = b;
	const struct pm_obj *objs = arg;

	if (x->wasted != y->wasted)
		return x->wasted > y->wasted ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return objs[x->idx].addr < objs[y->idx].addr ? -1 :
	    objs[x->idx].addr > objs[y->idx].addr;
}

int
pm_strs_dups(const struct pm_heap *h, uint64_t min_count,
    struct pm_strs_dup **dups, size_t *ndups, struct pm_err *e)
{
	const struct pm_obj *objs = pm_heap_objs(h);
	size_t nobjs = pm_heap_nobjs(h), ngroups = 0, capgroups = 0;
	size_t tcap = 1024, n = 0;
	struct group *groups = NULL;
	uint32_t *tab = calloc(tcap, sizeof(*tab));	/* group index + 1 */
	struct pm_strobj so;

	*dups = NULL;
	*ndups = 0;
	if (tab == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	for (size_t i = 0; i < nobjs; i++) {
		if (!pm_strs_get(h, i, &so) || so.data == NULL)
			continue;
		int isbytes = so.kind == PM_SK_BYTES;
		size_t nb = (size_t)(so.len * so.width);
		uint64_t hv = hash_bytes(so.data, nb, isbytes ? 0x62 : so.width);
		size_t j;
		for (j = hv & (tcap - 1); tab[j]; j = (j + 1) & (tcap - 1)) {
			struct group *g = &groups[tab[j] - 1];
			if (g->hash == hv && g->bytes == isbytes &&
			    g->width == so.width && g->len == so.len &&
			    memcmp(g->data, so.data, nb) == 0)
				break;
		}
		if (tab[j]) {
			struct group *g = &groups[tab[j] - 1];
			g->count++;
			if (objs[i].size < g->minsize)
				g->minsize = objs[i].size;
			if (objs[i].addr < objs[g->rep].addr) {
				g->rep = i;
				g->data = so.data;
			}
			continue;
		}
		if (ngroups == capgroups) {
			size_t nc = capgroups ? capgroups * 2 : 4096;
			struct group *ng = realloc(groups, nc * sizeof(*ng));
			if (ng == NULL || ngroups >= UINT32_MAX - 1)
				goto oom;
			groups = ng;
			capgroups = nc;
		}
		groups[ngroups] = (struct group){ hv, 1, objs[i].size, i, so.data,
		    so.len, so.width, isbytes };
		tab[j] = (uint32_t)++ngroups;
		if (ngroups * 2 > tcap) {
			size_t nc = tcap * 2;
			uint32_t *nt = calloc(nc, sizeof(*nt));
			if (nt == NULL)
				goto oom;
			for (size_t k = 0; k < ngroups; k++) {
				size_t p = groups[k].hash & (nc - 1);
				while (nt[p])
					p = (p + 1) & (nc - 1);
				nt[p] = (uint32_t)(k + 1);
			}
			free(tab);
			tab = nt;
			tcap = nc;
		}
	}
	free(tab);
	tab = NULL;
	if (min_count < 2)
		min_count = 2;
	for (size_t k = 0; k < ngroups; k++)
		if (groups[k].count >= min_count)
			n++;
	if ((*dups = calloc(n ? n : 1, sizeof(**dups))) == NULL)
		goto oom;
	n = 0;
	for (size_t k = 0; k < ngroups; k++) {
		const struct group *g = &groups[k];
		if (g->count < min_count)
			continue;
		(*dups)[n++] = (struct pm_strs_dup){ g->rep, g->count, g->minsize,
		    (g->count - 1) * g->minsize };
	}
	free(groups);
	if (n > 1)
		qsort_r(*dups, n, sizeof(**dups), cmp_dup, (void *)objs);
	*ndups = n;
	return 0;
oom:
	free(tab);
	free(groups);
	return pm_error(e, PM_EXIT_INPUT, "out of memory counting %zu values",
	    ngroups);
}

/* ---- listing ---- */

struct lent {
	size_t idx;
	uint64_t len;
};

static int
cmp_lent(const void *a, const void *b, void *arg)
{
	const struct lent *x = a, *y = b;
	const struct pm_obj *objs = arg;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (objs[x->idx].size != objs[y->idx].size)
		return objs[x->idx].size > objs[y->idx].size ? -1 : 1;
	return objs[x->idx].addr < objs[y->idx].addr ? -1 :
	    objs[x->idx].addr > objs[y->idx].addr;
}

int
pm_strs_list(const struct pm_heap *h, uint64_t min_len, size_t max,
    size_t **idx, size_t *n, struct pm_err *e)
{
	size_t nobjs = pm_heap_nobjs(h), k = 0, cap = 0;
	struct lent *v = NULL;
	struct pm_strobj so;

	for (size_t i = 0; i < nobjs; i++) {
		if (!pm_strs_get(h, i, &so) || so.len < min_len)
			continue;
		if (k == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			struct lent *nv = realloc(v, nc * sizeof(*nv));
			if (nv == NULL) {
				free(v);
				return pm_error(e, PM_EXIT_INPUT, "out of memory");
			}
			v = nv;
			cap = nc;
		}
		v[k].idx = i;
		v[k].len = so.len;
		k++;
	}
	if (k > 1)
		qsort_r(v, k, sizeof(*v), cmp_lent, (void *)pm_heap_objs(h));
	if (max && k > max)
		k = max;
	*idx = malloc((k ? k : 1) * sizeof(**idx));
	if (*idx == NULL) {
		free(v);
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	}
	for (size_t j = 0; j < k; j++)
		(*idx)[j] = v[j].idx;
	*n = k;
	free(v);
	return 0;
}

/* ---- searching ---- */

/*
 * Decode UTF-8 text into code points (*cps malloc'd). Returns the count,
 * or -1 when s is not valid UTF-8 (or memory ran out: *cps stays NULL).
 */
static ssize_t
utf8_decode(const unsigned char *s, size_t n, uint32_t **cps)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof(*v));
	size_t k = 0;

	*cps = v;
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n;) {
		uint32_t c = s[i], min;
		size_t len;
		if (c < 0x80) {
			len = 1; min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2; c &= 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3; c &= 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4; c &= 0x07; min = 0x10000;
		} else {
			goto bad;
		}
		if (i + len > n)
			goto bad;
		for (size_t j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				goto bad;
			c = c << 6 | (s[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff)
			goto bad;
		v[k++] = c;
		i += len;
	}
	return (ssize_t)k;
bad:
	free(v);
	*cps = (uint32_t *)1;	/* not NULL: invalid, not out of memory */
	return -1;
}

/* The pattern in each storage: [0] utf-8/bytes, [1] latin1, [2] ucs2, [3] ucs4. */
struct pats {
	unsigned char *p[4];
	size_t n[4];
	const char *name[4];
};

static void
pats_free(struct pats *ps)
{
	for (int k = 0; k < 4; k++)
		free(ps->p[k]);
}

static int
pats_make(struct pats *ps, const void *pat, size_t patlen, int text,
    struct pm_err *e)
{
	uint32_t *cps;
	ssize_t ncp;

	memset(ps, 0, sizeof(*ps));
	if (patlen == 0)
		return pm_error(e, PM_EXIT_INPUT, "empty search pattern");
	if ((ps->p[0] = malloc(patlen)) == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	memcpy(ps->p[0], pat, patlen);
	ps->n[0] = patlen;
	ps->name[0] = text ? "utf-8" : "bytes";
	if (!text)
		return 0;
	ncp = utf8_decode(pat, patlen, &cps);
	if (ncp < 0) {
		pats_free(ps);
		if (cps == NULL)
			return pm_error(e, PM_EXIT_INPUT, "out of memory");
		return pm_error(e, PM_EXIT_INPUT, "search text is not valid UTF-8");
	}
	uint32_t max = 0;
	for (ssize_t i = 0; i < ncp; i++)
		if (cps[i] > max)
			max = cps[i];
	static const unsigned widths[4] = { 0, 1, 2, 4 };
	static const char *const names[4] = { NULL, "latin1", "utf-16le", "utf-32le" };
	for (int k = 1; k < 4; k++) {
		unsigned w = widths[k];
		if ((w == 1 && max > 0xff) || (w == 2 && max > 0xffff))
			continue;
		if ((ps->p[k] = malloc((size_t)ncp * w)) == NULL) {
			free(cps);
			pats_free(ps);
			return pm_error(e, PM_EXIT_INPUT, "out of memory");
		}
		for (ssize_t i = 0; i < ncp; i++)
			for (unsigned b = 0; b < w; b++)
				ps->p[k][(size_t)i * w + b] = (unsigned char)(cps[i] >> (8 * b));
		ps->n[k] = (size_t)ncp * w;
		ps->name[k] = names[k];
	}
	free(cps);
	return 0;
}

/* First match of p[0..m) in d[0..n) at an offset that is a multiple of w. */
static int64_t
find_aligned(const unsigned char *d, size_t n, const unsigned char *p, size_t m,
    unsigned w)
{
	size_t pos = 0;

	while (pos + m <= n) {
		const unsigned char *q = memmem(d + pos, n - pos, p, m);
		if (q == NULL)
			return -1;
		size_t off = (size_t)(q - d);
		if (off % w == 0)
			return (int64_t)(off / w);
		pos = off + 1;
	}
	return -1;
}

static int
cmp_hit(const void *a, const void *b, void *arg)
{
	const struct pm_strs_hit *x = a, *y = b;
	const struct pm_obj *objs = arg;

	return objs[x->idx].addr < objs[y->idx].addr ? -1 :
	    objs[x->idx].addr > objs[y->idx].addr;
}

int
pm_strs_find(const struct pm_heap *h, const void *pat, size_t patlen,
    int text, struct pm_strs_hit **hits, size_t *nhits, struct pm_err *e)
{
	const struct pm_obj *objs = pm_heap_objs(h);
	size_t nobjs = pm_heap_nobjs(h), k = 0, cap = 0;
	struct pm_strs_hit *v = NULL;
	struct pm_strobj so;
	struct pats ps;

	*hits = NULL;
	*nhits = 0;
	if (pats_make(&ps, pat, patlen, text, e) < 0)
		return -1;
	for (size_t i = 0; i < nobjs; i++) {
		if (!pm_strs_get(h, i, &so) || so.data == NULL)
			continue;
		/* Text: the pattern in this object's storage; raw: as given. */
		int p = 0;
		if (text && so.kind != PM_SK_BYTES)
			p = so.width == 1 ? 1 : so.width == 2 ? 2 : 3;
		if (ps.p[p] == NULL)
			continue;
		int64_t off = find_aligned(so.data, (size_t)(so.len * so.width),
		    ps.p[p], ps.n[p], so.width);
		if (off < 0)
			continue;
		if (k == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct pm_strs_hit *nv = realloc(v, nc * sizeof(*nv));
			if (nv == NULL) {
				free(v);
				pats_free(&ps);
				return pm_error(e, PM_EXIT_INPUT, "out of memory");
			}
			v = nv;
			cap = nc;
		}
		v[k].idx = i;
		v[k].offset = (uint64_t)off;
		k++;
	}
	pats_free(&ps);
	if (k > 1)
		qsort_r(v, k, sizeof(*v), cmp_hit, (void *)objs);
	*hits = v;
	*nhits = k;
	return 0;
}

/* ---- searching all memory ---- */

/* Memory an object occupies: its body, or a buffer it owns. */
struct extent {
	uint64_t start, end;
	size_t idx;
};

struct extents {
	struct extent *v;
	size_t n, cap;
};

static int
ext_add(struct extents *x, uint64_t start, uint64_t end, size_t idx)
{
	if (end <= start || end - start > MAX_LEN)
		return 0;
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 65536;
		struct extent *nv = realloc(x->v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1;
		x->v = nv;
		x->cap = nc;
	}
	x->v[x->n++] = (struct extent){ start, end, idx };
	return 0;
}

static int
cmp_ext(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static uint64_t
rd(const struct pm_snap *s, uint64_t addr)
{
	uint64_t v;

	return pm_snap_u64(s, addr, &v) < 0 ? 0 : v;
}

static int
extents_build(const struct pm_heap *h, struct extents *x)
{
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_obj *objs = pm_heap_objs(h);
	size_t nobjs = pm_heap_nobjs(h);

	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < nobjs; i++) {
		const struct pm_type *ty = pm_heap_type_of(h, i);
		uint64_t a = objs[i].addr, end = a + (uint64_t)ty->basicsize;
		int r = 0;
		switch (ty->kind) {
		case PM_KIND_STR: {
			struct pm_strinfo si;
			if (pm_heap_strinfo(h, a, &si) < 0)
				break;
			uint64_t data = (si.len + 1) * (uint64_t)si.kind;
			if (si.compact)
				end = si.data + data;
			else
				r = ext_add(x, si.data, si.data + data, i);
			break;
		}
		case PM_KIND_BYTES:
			end = a + (uint64_t)PM_L(l, BYTES_SVAL) +
			    rd(s, a + (uint64_t)PM_L(l, VAROBJECT_SIZE)) + 1;
			break;
		case PM_KIND_INT:
		case PM_KIND_BOOL:
			end = a + objs[i].size;
			break;
		case PM_KIND_LIST: {
			uint64_t items = rd(s, a + (uint64_t)PM_L(l, LIST_ITEMS));
			uint64_t alloc = rd(s, a + (uint64_t)PM_L(l, LIST_ALLOCATED));
			if (alloc < MAX_LEN)
				r = ext_add(x, items, items + 8 * alloc, i);
			break;
		}
		case PM_KIND_BYTEARRAY: {
			uint64_t bytes = rd(s, a + (uint64_t)PM_L(l, BYTEARRAY_BYTES));
			r = ext_add(x, bytes, bytes +
			    rd(s, a + (uint64_t)PM_L(l, BYTEARRAY_ALLOC)), i);
			break;
		}
		default:
			if (ty->itemsize) {
				int64_t n = (int64_t)rd(s, a + (uint64_t)PM_L(l, VAROBJECT_SIZE));
				if (n < 0)
					n = -n;
				if ((uint64_t)n < MAX_LEN)
					end += (uint64_t)n * (uint64_t)ty->itemsize;
			}
			break;
		}
		if (r < 0 || ext_add(x, a, end, i) < 0) {
			free(x->v);
			return -1;
		}
	}
	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), cmp_ext);
	return 0;
}

/* The object whose memory holds addr, or -1. */
static int64_t
extents_owner(const struct extents *x, uint64_t addr)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* x->v[lo - 1] is the last extent starting at or before addr. */
	for (size_t k = lo, tries = 0; k > 0 && tries < 4; k--, tries++)
		if (addr < x->v[k - 1].end)
			return (int64_t)x->v[k - 1].idx;
	return -1;
}

struct rawhit {
	uint64_t addr;
	int pat;
};

static int
cmp_rawhit(const void *a, const void *b)
{
	const struct rawhit *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->pat - y->pat;
}

int
pm_strs_find_raw(const struct pm_heap *h, const void *pat, size_t patlen,
    int text, pm_strs_raw_fn fn, void *arg, struct pm_err *e)
{
	const struct pm_snap *s = pm_heap_snap(h);
	struct rawhit *v = NULL;
	size_t cap = 0;
	struct extents x;
	struct pats ps;
	int r = 0;

	if (pats_make(&ps, pat, patlen, text, e) < 0)
		return -1;
	/* The same bytes in two encodings (ASCII text) are searched once. */
	for (int k = 1; k < 4; k++)
		for (int j = 0; j < k; j++)
			if (ps.p[k] && ps.p[j] && ps.n[k] == ps.n[j] &&
			    memcmp(ps.p[k], ps.p[j], ps.n[k]) == 0) {
				free(ps.p[k]);
				ps.p[k] = NULL;
				break;
			}
	if (extents_build(h, &x) < 0) {
		pats_free(&ps);
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	}
	for (size_t mi = 0; mi < s->nmaps && r == 0; mi++) {
		const struct pm_map *m = &s->maps[mi];
		size_t len = (size_t)(m->end - m->start), n = 0;
		for (int k = 0; k < 4; k++) {
			if (ps.p[k] == NULL)
				continue;
			size_t pos = 0;
			while (pos + ps.n[k] <= len) {
				const unsigned char *q = memmem(m->data + pos,
				    len - pos, ps.p[k], ps.n[k]);
				if (q == NULL)
					break;
				if (n == cap) {
					size_t nc = cap ? cap * 2 : 1024;
					struct rawhit *nv = realloc(v, nc * sizeof(*nv));
					if (nv == NULL) {
						r = pm_error(e, PM_EXIT_INPUT, "out of memory");
						goto out;
					}
					v = nv;
					cap = nc;
				}
				pos = (size_t)(q - m->data);
				v[n].addr = m->start + pos;
				v[n].pat = k;
				n++;
				pos++;
			}
		}
		if (n > 1)
			qsort(v, n, sizeof(*v), cmp_rawhit);
		for (size_t j = 0; j < n && r == 0; j++) {
			struct pm_strs_rawhit hit = { v[j].addr, ps.name[v[j].pat],
			    extents_owner(&x, v[j].addr) };
			r = fn(arg, &hit);
		}
	}
out:
	free(v);
	free(x.v);
	pats_free(&ps);
	return r;
}

int
pm_strs_redact_env(void)
{
	const char *v = getenv("PM_REDACT");

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}
