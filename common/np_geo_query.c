/*
 * np_geo_query: the searches over an np_geo index (layout in np_geo.c).
 *
 * A query first bounds its cap by a box: latitude +-r/R, longitude
 * +-asin(sin(r/R) / cos(lat)) (over-estimated cheaply, never under), every
 * longitude when the cap holds a pole, split in two at the antimeridian,
 * widened by GEO_EPS_DEG so that rounding never loses a point.
 *
 * A small box (the usual case: 2x2 to 3x3 cells) is searched in three
 * passes so that its cache misses overlap instead of queueing: prefetch
 * the hash slot of every cell, then look the cells up and prefetch their
 * entries, then visit the cells in order of a lower bound of their
 * distance, stopping when the bound passes the best so far.  A bigger box
 * is walked row by row, its own row first; a box with more cells than the
 * table has slots scans the table instead.
 *
 * Every candidate is decided by the same operations as np_geo_dist, so the
 * answers are exactly a brute-force scan's.  The bounds that skip work --
 * on cells, then on each entry before any sine is taken -- are lower bounds
 * of the haversine term (x - x^3/6 <= sin x, cos is 1-Lipschitz) with
 * margins far above rounding error, compared with the best so far times
 * 1 + 1e-9: they skip only what could neither win nor tie.
 */
#include <math.h>
#include <string.h>

#include "np_geo_impl.h"

#define GEO_SMALL	64		/* cells of a box searched in passes */
#define GEO_TINY_DEG	1e-9		/* per-entry margin, degrees */

/* One query's state: a nearest search (heap == NULL) or a k-nearest one. */
struct geo_query {
	double		 lat, lon, latr, lonr, coslat;
	double		 radius;	/* metres, inclusive */
	double		 lat_lim;	/* skip |dlat| above, degrees */
	double		 a_lim;		/* skip haversine terms above */
	int		 found;
	uint32_t	 best_id;
	double		 best_d;
	struct np_geo_hit *heap;	/* max-heap by (dist, id) */
	size_t		 n, max;
	int		(*filter)(uint32_t, void *);
	void		*arg;
};

struct geo_box {
	uint32_t	r0, r1, rq;	/* rows, and the query's row */
	int		full;		/* all longitudes */
	double		lo, hi;		/* longitudes, may pass +-180 */
};

struct geo_cand {
	double			 lb;	/* lower bound of the haversine term */
	const struct geo_cell	*c;
};

/* sin(x)^2 >= this, for 0 <= x <= pi/2 */
static inline double
geo_lbsin2(double x)
{
	double s = x * (1.0 - x * x / 6.0);

	return s * s;
}

static void
geo_query_init(struct geo_query *q, double lat, double lon, double radius)
{
	double h = radius / (2.0 * NP_GEO_EARTH_R);

	memset(q, 0, sizeof(*q));
	q->lat = lat;
	q->lon = lon;
	q->latr = lat * GEO_D_R;
	q->lonr = lon * GEO_D_R;
	q->coslat = cos(q->latr);
	q->radius = radius;
	q->lat_lim = radius / GEO_M_PER_DEG * GEO_SLACK + GEO_EPS_DEG;
	q->a_lim = h < M_PI / 2 ? h * h * GEO_SLACK : 2.0;	/* sin h <= h */
}

/* The bound is now d metres (haversine term a, if known). */
static inline void
geo_query_tighten(struct geo_query *q, double d, double a)
{
	double h = d / (2.0 * NP_GEO_EARTH_R);

	q->lat_lim = d / GEO_M_PER_DEG * GEO_SLACK + GEO_EPS_DEG;
	q->a_lim = (a >= 0.0 ? a : h * h) * GEO_SLACK;
}

static inline int
geo_hit_less(double d1, uint32_t id1, double d2, uint32_t id2)
{
	return d1 < d2 || (d1 == d2 && id1 < id2);
}

static void
geo_heap_sift_down(struct np_geo_hit *h, size_t n, size_t i)
{
	struct np_geo_hit t = h[i];
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && geo_hit_less(h[c].dist_m, h[c].id,
		    h[c + 1].dist_m, h[c + 1].id))
			c++;
		if (!geo_hit_less(t.dist_m, t.id, h[c].dist_m, h[c].id))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = t;
}

static void
geo_heap_push(struct geo_query *q, uint32_t id, double d)
{
	struct np_geo_hit *h = q->heap;
	size_t i = q->n++, p;

	for (; i > 0; i = p) {
		p = (i - 1) / 2;
		if (!geo_hit_less(h[p].dist_m, h[p].id, d, id))
			break;
		h[i] = h[p];
	}
	h[i].id = id;
	h[i].dist_m = d;
}

static void
geo_offer(struct geo_query *q, uint32_t id, double d, double a)
{
	if (q->heap == NULL) {
		if (q->found && !geo_hit_less(d, id, q->best_d, q->best_id))
			return;
		q->found = 1;
		q->best_id = id;
		q->best_d = d;
		geo_query_tighten(q, d, a);
		return;
	}
	if (q->n == q->max && !geo_hit_less(d, id, q->heap[0].dist_m,
	    q->heap[0].id))
		return;
	if (q->filter != NULL && !q->filter(id, q->arg))
		return;
	if (q->n < q->max)
		geo_heap_push(q, id, d);
	else {
		q->heap[0].id = id;
		q->heap[0].dist_m = d;
		geo_heap_sift_down(q->heap, q->n, 0);
	}
	if (q->n == q->max)
		geo_query_tighten(q, q->heap[0].dist_m, -1.0);
}

static inline void
geo_visit(struct geo_query *q, const struct np_geo_index *ix,
    const struct geo_cell *c)
{
	const struct geo_ent *e = ix->ent + c->off, *end = e + GEO_N(c->nc);
	double dlat, dlon, a, d;

	for (; e < end; e++) {
		if ((dlat = fabs(e->lat - q->lat)) > q->lat_lim)
			continue;
		if ((dlon = fabs(e->lon - q->lon)) > 180.0)
			dlon = 360.0 - dlon;
		dlat = dlat > GEO_TINY_DEG ? dlat - GEO_TINY_DEG : 0.0;
		dlon = dlon > GEO_TINY_DEG ? dlon - GEO_TINY_DEG : 0.0;
		if (geo_lbsin2(dlat * (GEO_D_R / 2)) + q->coslat * e->coslat *
		    geo_lbsin2(dlon * (GEO_D_R / 2)) > q->a_lim)
			continue;
		a = geo_a(q->latr, q->lonr, q->coslat, e->lat * GEO_D_R,
		    e->lon * GEO_D_R, e->coslat);
		if (a > q->a_lim || (d = geo_m(a)) > q->radius)
			continue;
		geo_offer(q, e->id, d, a);
	}
}

/* A lower bound of the haversine term from the query to a cell. */
static double
geo_cell_lb(const struct geo_query *q, const struct np_geo_index *ix,
    uint64_t key)
{
	uint32_t row = (uint32_t)(key >> 32), col = (uint32_t)key;
	const struct geo_band *b = geo_band(ix, row);
	double rlo = row * ix->dlat - 90.0, rhi = rlo + ix->dlat;
	double clo = col * b->width - 180.0, chi = clo + b->width;
	double dlat, dlon, d2, far, cmin;

	dlat = q->lat < rlo ? rlo - q->lat : q->lat > rhi ? q->lat - rhi : 0;
	dlon = 0.0;
	if (q->lon < clo || q->lon > chi) {	/* the shorter way round */
		if ((dlon = clo - q->lon) < 0.0)
			dlon += 360.0;
		if ((d2 = q->lon - chi) < 0.0)
			d2 += 360.0;
		dlon = d2 < dlon ? d2 : dlon;
	}
	dlat = dlat > GEO_EPS_DEG ? dlat - GEO_EPS_DEG : 0.0;
	dlon = dlon > GEO_EPS_DEG ? dlon - GEO_EPS_DEG : 0.0;
	far = fmax(fabs(q->lat - rlo), fabs(q->lat - rhi)) + GEO_EPS_DEG;
	cmin = q->coslat - far * GEO_D_R;
	return geo_lbsin2(dlat * (GEO_D_R / 2)) + (cmin > 0.0 ?
	    q->coslat * cmin * geo_lbsin2(dlon * (GEO_D_R / 2)) : 0.0);
}

static void
geo_scan_all(struct geo_query *q, const struct np_geo_index *ix)
{
	uint32_t i;

	for (i = 0; i <= ix->cmask; i++)
		if (ix->cell[i].key != GEO_EMPTY)
			geo_visit(q, ix, &ix->cell[i]);
}

/* The box around the cap; returns its number of cells, roughly. */
static double
geo_box_init(struct geo_box *bx, const struct np_geo_index *ix,
    const struct geo_query *q)
{
	const struct geo_band *b;
	double t = q->radius / NP_GEO_EARTH_R, lo, hi, s, dl = 0;
	uint32_t req;

	lo = q->lat - t / GEO_D_R - GEO_EPS_DEG;
	hi = q->lat + t / GEO_D_R + GEO_EPS_DEG;
	bx->r0 = geo_row(ix, lo);
	bx->r1 = geo_row(ix, hi);
	bx->rq = geo_row(ix, q->lat);
	bx->full = 1;
	if (lo > -90.0 && hi < 90.0 && t < M_PI / 2) {
		if ((s = t / q->coslat) < 0.5)	/* asin x <= x/sqrt(1-x^2) */
			dl = s / sqrt(1.0 - s * s);
		else if ((s = sin(t) / q->coslat) < 1.0)
			dl = asin(s);
		else
			dl = 360.0;
		dl = dl / GEO_D_R * GEO_SLACK + GEO_EPS_DEG;
		bx->lo = q->lon - dl;
		bx->hi = q->lon + dl;
		bx->full = bx->hi - bx->lo >= 360.0;
	}
	/* the widest row is the one nearest the equator */
	req = ix->nrows / 2;
	b = geo_band(ix, req < bx->r0 ? bx->r0 : req > bx->r1 ? bx->r1 : req);
	return (double)(bx->r1 - bx->r0 + 1) * (bx->full ? b->ncol :
	    (bx->hi - bx->lo) * b->scale + 2.0);
}

/* The box's columns in a row: one or two [from, to] segments. */
static int
geo_row_segs(const struct np_geo_index *ix, const struct geo_box *bx,
    uint32_t row, uint32_t seg[2][2])
{
	const struct geo_band *b = geo_band(ix, row);
	double lo = bx->lo, hi = bx->hi;

	seg[0][0] = 0;
	seg[0][1] = b->ncol - 1;
	if (bx->full)
		return 1;
	if (lo >= -180.0 && hi <= 180.0) {
		seg[0][0] = geo_col(b, lo);
		seg[0][1] = geo_col(b, hi);
		return 1;
	}
	/* across the antimeridian: [lo, 180] and [-180, hi] */
	if (lo < -180.0)
		lo += 360.0;
	else
		hi -= 360.0;
	seg[0][0] = geo_col(b, lo);
	seg[1][0] = 0;
	seg[1][1] = geo_col(b, hi);
	if (seg[0][0] <= seg[1][1] + 1) {	/* they meet: the whole row */
		seg[0][0] = 0;
		return 1;
	}
	return 2;
}

/* A big box: row by row, the query's row first, then outwards. */
static void
geo_scan_row(struct geo_query *q, const struct np_geo_index *ix,
    const struct geo_box *bx, uint32_t row)
{
	const struct geo_cell *c;
	uint32_t seg[2][2], col;
	uint64_t rk = (uint64_t)row << 32;
	int i, nseg;

	if (q->lat - ((row + 1) * ix->dlat - 90.0) > q->lat_lim ||
	    (row * ix->dlat - 90.0) - q->lat > q->lat_lim)
		return;
	nseg = geo_row_segs(ix, bx, row, seg);
	for (i = 0; i < nseg; i++)
		for (col = seg[i][0]; col <= seg[i][1]; col++)
			if ((c = geo_find(ix, rk | col)) != NULL)
				geo_visit(q, ix, c);
}

static void
geo_scan_rows(struct geo_query *q, const struct np_geo_index *ix,
    const struct geo_box *bx)
{
	uint32_t k;

	geo_scan_row(q, ix, bx, bx->rq);
	for (k = 1; bx->rq - bx->r0 >= k || bx->r1 - bx->rq >= k; k++) {
		if (bx->rq - bx->r0 >= k)
			geo_scan_row(q, ix, bx, bx->rq - k);
		if (bx->r1 - bx->rq >= k)
			geo_scan_row(q, ix, bx, bx->rq + k);
	}
}

/* The keys of a small box's cells; more than max: max + 1. */
static size_t
geo_box_keys(const struct np_geo_index *ix, const struct geo_box *bx,
    uint64_t *key, size_t max)
{
	uint32_t seg[2][2], row, col;
	size_t n = 0;
	int i, nseg;

	for (row = bx->r0; row <= bx->r1; row++) {
		nseg = geo_row_segs(ix, bx, row, seg);
		for (i = 0; i < nseg; i++)
			for (col = seg[i][0]; col <= seg[i][1]; col++) {
				if (n == max)
					return max + 1;
				key[n++] = (uint64_t)row << 32 | col;
			}
	}
	return n;
}

static void
geo_search(struct geo_query *q, const struct np_geo_index *ix)
{
	uint64_t key[GEO_SMALL];
	struct geo_cand cand[GEO_SMALL], t;
	const struct geo_cell *c;
	struct geo_box bx;
	size_t nk, nc, i, j;

	if (geo_box_init(&bx, ix, q) > ix->cmask + 1.0) {
		geo_scan_all(q, ix);
		return;
	}
	if ((nk = geo_box_keys(ix, &bx, key, GEO_SMALL)) > GEO_SMALL) {
		geo_scan_rows(q, ix, &bx);
		return;
	}
	for (i = 0; i < nk; i++)
		__builtin_prefetch(&ix->cell[geo_hash(ix, key[i])]);
	for (i = nc = 0; i < nk; i++) {
		if ((c = geo_find(ix, key[i])) == NULL)
			continue;
		__builtin_prefetch(&ix->ent[c->off]);
		t.lb = geo_cell_lb(q, ix, key[i]);
		t.c = c;
		for (j = nc++; j > 0 && cand[j - 1].lb > t.lb; j--)
			cand[j] = cand[j - 1];
		cand[j] = t;
	}
	for (i = 0; i < nc && cand[i].lb <= q->a_lim; i++)
		geo_visit(q, ix, cand[i].c);
}

int
np_geo_nearest_within(const struct np_geo_index *ix, double lat, double lon,
    double radius_m, uint32_t *id, double *dist_m)
{
	struct geo_query q;

	if (ix->size == 0 || !np_geo_valid(lat, lon) || !(radius_m >= 0.0))
		return 0;
	geo_query_init(&q, lat, lon, radius_m);
	geo_search(&q, ix);
	if (q.found) {
		*id = q.best_id;
		*dist_m = q.best_d;
	}
	return q.found;
}

int
np_geo_nearest(const struct np_geo_index *ix, double lat, double lon,
    uint32_t *id, double *dist_m)
{
	struct geo_query q;
	struct geo_box bx;
	double r;

	if (ix->size == 0 || !np_geo_valid(lat, lon))
		return 0;
	/* widen the ring while it is cheaper than a scan of every cell */
	for (r = ix->cell_m; r < M_PI * NP_GEO_EARTH_R; r *= 4) {
		geo_query_init(&q, lat, lon, r);
		if (geo_box_init(&bx, ix, &q) > ix->cmask + 1.0)
			break;
		if (np_geo_nearest_within(ix, lat, lon, r, id, dist_m))
			return 1;
	}
	geo_query_init(&q, lat, lon, INFINITY);
	geo_scan_all(&q, ix);
	*id = q.best_id;
	*dist_m = q.best_d;
	return 1;
}

size_t
np_geo_within(const struct np_geo_index *ix, double lat, double lon,
    double radius_m, int (*filter)(uint32_t, void *), void *arg,
    struct np_geo_hit *out, size_t max)
{
	struct geo_query q;
	struct np_geo_hit t;
	size_t n;

	if (max == 0 || ix->size == 0 || !np_geo_valid(lat, lon) ||
	    !(radius_m >= 0.0))
		return 0;
	geo_query_init(&q, lat, lon, radius_m);
	q.heap = out;
	q.max = max;
	q.filter = filter;
	q.arg = arg;
	geo_search(&q, ix);
	for (n = q.n; n > 1; n--) {	/* heap sort: ascending */
		t = out[0];
		out[0] = out[n - 1];
		out[n - 1] = t;
		geo_heap_sift_down(out, n - 1, 0);
	}
	return q.n;
}

int
np_geo_hit_cmp(const void *a, const void *b)
{
	const struct np_geo_hit *x = a, *y = b;

	if (x->dist_m != y->dist_m)
		return x->dist_m < y->dist_m ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}
