/*
 * np_geo: haversine distances and an exact grid index over points.
 *
 * The grid is uniform in latitude: rows of cell_m metres.  Rows are grouped
 * in bands (at most GEO_BANDS_MAX of them); each band has its own number of
 * columns, chosen so that no cell is narrower than cell_m at the band's
 * worst (most polar) latitude.  Near a pole a band has a single column.
 *
 * A query computes a conservative box around the search cap -- latitude
 * +-r/R, longitude +-asin(sin(r/R) / cos(lat)), every longitude when the
 * cap holds a pole -- widened by GEO_EPS_DEG so rounding never loses a
 * point, split in two at the antimeridian, and visits the cells it covers,
 * its own row first.  The grid only prunes; every candidate is then
 * decided by the same operations as np_geo_dist, so answers are exactly
 * those of a brute-force scan.  Cheap bounds (latitude difference, the
 * haversine term before sqrt/asin) skip most candidates with a slack of
 * 1e-9 relative, far above rounding error, so they never skip a winner.
 * When a box would cover more cells than the table has slots, the query
 * scans the table instead.
 *
 * Storage: an open-addressing hash (linear probing, backward-shift
 * deletion) maps a cell (row << 32 | column) to a block of 2^k entries
 * (id, lat, lon, cos lat) inside one array, ix->ent; freed blocks go to a
 * free list per size class.  ix->pos, indexed by id, gives each point's
 * entry, so a move within its cell is an overwrite and a move across cells
 * or a delete is an O(1) swap-remove.  Freed blocks are reused only by
 * blocks of the same size, never returned.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "np_geo_impl.h"

double
np_geo_dist(double lat1, double lon1, double lat2, double lon2)
{
	double lat1r = lat1 * GEO_D_R, lat2r = lat2 * GEO_D_R;

	return geo_m(geo_a(lat1r, lon1 * GEO_D_R, cos(lat1r), lat2r,
	    lon2 * GEO_D_R, cos(lat2r)));
}

int
np_geo_valid(double lat, double lon)
{
	return isfinite(lat) && isfinite(lon) && lat >= -90.0 &&
	    lat <= 90.0 && lon >= -180.0 && lon <= 180.0;
}

struct np_geo_index *
np_geo_index_new(double cell_m)
{
	struct np_geo_index *ix;
	double dlat, lo, hi, w;
	uint32_t nbands, b;

	if (!(cell_m >= 1.0 && cell_m <= 1e6))
		return NULL;
	if ((ix = calloc(1, sizeof(*ix))) == NULL)
		return NULL;
	ix->cell_m = cell_m;
	ix->dlat = dlat = cell_m / GEO_M_PER_DEG;
	ix->inv_dlat = 1.0 / dlat;
	ix->nrows = (uint32_t)ceil(180.0 * ix->inv_dlat);
	while (((ix->nrows - 1) >> ix->band_shift) + 1 > GEO_BANDS_MAX)
		ix->band_shift++;
	nbands = ((ix->nrows - 1) >> ix->band_shift) + 1;
	if ((ix->band = calloc(nbands, sizeof(*ix->band))) == NULL)
		goto fail;
	for (b = 0; b < nbands; b++) {
		lo = fabs((double)(b << ix->band_shift) * dlat - 90.0);
		hi = fabs((double)((b + 1) << ix->band_shift) * dlat - 90.0);
		w = 360.0 * cos(fmin(fmax(lo, hi), 90.0) * GEO_D_R) / dlat;
		ix->band[b].ncol = w < 1.0 ? 1 : w > 2e9 ? 2000000000 :
		    (uint32_t)w;
		ix->band[b].scale = ix->band[b].ncol / 360.0;
		ix->band[b].width = 360.0 / ix->band[b].ncol;
	}
	ix->cshift = 64 - 6;
	ix->cmask = (1u << 6) - 1;
	if ((ix->cell = malloc((ix->cmask + 1) * sizeof(*ix->cell))) == NULL)
		goto fail;
	for (b = 0; b <= ix->cmask; b++)
		ix->cell[b].key = GEO_EMPTY;
	memset(ix->freeblk, 0xff, sizeof(ix->freeblk));
	return ix;
fail:
	np_geo_index_free(ix);
	return NULL;
}

void
np_geo_index_free(struct np_geo_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->band);
	free(ix->cell);
	free(ix->ent);
	free(ix->pos);
	free(ix);
}

size_t
np_geo_index_size(const struct np_geo_index *ix)
{
	return ix->size;
}

int
np_geo_index_get(const struct np_geo_index *ix, uint32_t id, double *lat,
    double *lon)
{
	const struct geo_ent *e;

	if (id >= ix->npos || ix->pos[id] == GEO_NONE)
		return -1;
	e = &ix->ent[ix->pos[id]];
	*lat = e->lat;
	*lon = e->lon;
	return 0;
}

/* Storage: blocks of entries, the hash table, the id vector. */

static uint32_t
geo_blk_alloc(struct np_geo_index *ix, unsigned cls)
{
	uint32_t off = ix->freeblk[cls], need = 1u << cls, cap;
	struct geo_ent *ent;

	if (off != GEO_NONE) {
		ix->freeblk[cls] = ix->ent[off].id;
		return off;
	}
	if (ix->capent - ix->nent < need) {
		cap = ix->capent ? ix->capent : 64;
		while (cap - ix->nent < need) {
			if (cap >= (1u << 31))
				return GEO_NONE;
			cap *= 2;
		}
		if ((ent = realloc(ix->ent, (size_t)cap * sizeof(*ent))) == NULL)
			return GEO_NONE;
		ix->ent = ent;
		ix->capent = cap;
	}
	off = ix->nent;
	ix->nent += need;
	return off;
}

static void
geo_blk_free(struct np_geo_index *ix, uint32_t off, unsigned cls)
{
	ix->ent[off].id = ix->freeblk[cls];
	ix->freeblk[cls] = off;
}

/* Move a cell's entries to a new block of class cls; -1 out of memory. */
static int
geo_blk_move(struct np_geo_index *ix, struct geo_cell *c, unsigned cls)
{
	uint32_t n = GEO_N(c->nc), off, i;

	if ((off = geo_blk_alloc(ix, cls)) == GEO_NONE)
		return -1;
	memcpy(&ix->ent[off], &ix->ent[c->off], n * sizeof(*ix->ent));
	for (i = 0; i < n; i++)
		ix->pos[ix->ent[off + i].id] = off + i;
	geo_blk_free(ix, c->off, GEO_CLS(c->nc));
	c->off = off;
	c->nc = GEO_NC(n, cls);
	return 0;
}

static int
geo_grow(struct np_geo_index *ix)
{
	struct geo_cell *old = ix->cell, *c;
	uint32_t oldn = ix->cmask + 1, n = oldn * 2, i, j;

	if (n == 0 || (c = malloc((size_t)n * sizeof(*c))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		c[i].key = GEO_EMPTY;
	ix->cell = c;
	ix->cmask = n - 1;
	ix->cshift--;
	for (i = 0; i < oldn; i++) {
		if (old[i].key == GEO_EMPTY)
			continue;
		for (j = geo_hash(ix, old[i].key); c[j].key != GEO_EMPTY;
		    j = (j + 1) & ix->cmask)
			;
		c[j] = old[i];
	}
	free(old);
	return 0;
}

/* Backward-shift deletion keeps probe sequences without tombstones. */
static void
geo_cell_remove(struct np_geo_index *ix, struct geo_cell *c)
{
	uint32_t i = (uint32_t)(c - ix->cell), j = i, k;

	for (;;) {
		ix->cell[i].key = GEO_EMPTY;
		for (;;) {
			j = (j + 1) & ix->cmask;
			if (ix->cell[j].key == GEO_EMPTY) {
				ix->ncells--;
				return;
			}
			k = geo_hash(ix, ix->cell[j].key);
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		ix->cell[i] = ix->cell[j];
		i = j;
	}
}

/* Append an entry to the cell of key; its offset, or GEO_NONE. */
static uint32_t
geo_link(struct np_geo_index *ix, uint64_t key, const struct geo_ent *e)
{
	struct geo_cell *c;
	uint32_t i, n, off;

	if ((c = geo_find(ix, key)) == NULL) {
		if ((ix->ncells + 1) * 2 > ix->cmask + 1 && geo_grow(ix) == -1)
			return GEO_NONE;
		if ((off = geo_blk_alloc(ix, 0)) == GEO_NONE)
			return GEO_NONE;
		for (i = geo_hash(ix, key); ix->cell[i].key != GEO_EMPTY;
		    i = (i + 1) & ix->cmask)
			;
		c = &ix->cell[i];
		c->key = key;
		c->off = off;
		c->nc = GEO_NC(0, 0);
		ix->ncells++;
	}
	n = GEO_N(c->nc);
	if (n == (1u << GEO_CLS(c->nc)) &&
	    (n + 1 >= (1u << GEO_N_BITS) ||
	    geo_blk_move(ix, c, GEO_CLS(c->nc) + 1) == -1))
		return GEO_NONE;
	off = c->off + n;
	ix->ent[off] = *e;
	c->nc = GEO_NC(n + 1, GEO_CLS(c->nc));
	return off;
}

/* Swap-remove the entry at off from its cell. */
static void
geo_unlink(struct np_geo_index *ix, uint32_t off)
{
	struct geo_ent *e = &ix->ent[off];
	struct geo_cell *c = geo_find(ix, geo_key(ix, e->lat, e->lon));
	uint32_t n = GEO_N(c->nc) - 1, cls = GEO_CLS(c->nc);

	if (off != c->off + n) {
		*e = ix->ent[c->off + n];
		ix->pos[e->id] = off;
	}
	c->nc = GEO_NC(n, cls);
	if (n == 0) {
		geo_blk_free(ix, c->off, cls);
		geo_cell_remove(ix, c);
	} else if (cls > 0 && n <= (1u << cls) / 4)
		(void)geo_blk_move(ix, c, cls - 1);	/* optional shrink */
}

int
np_geo_index_put(struct np_geo_index *ix, uint32_t id, double lat, double lon)
{
	struct geo_ent ne, *e;
	uint32_t *pos, n, old = GEO_NONE, off;
	uint64_t key;

	if (!np_geo_valid(lat, lon) || id >= NP_GEO_ID_LIMIT)
		return -1;
	if (id >= ix->npos) {
		n = ix->npos ? ix->npos : 64;
		while (n <= id)
			n *= 2;
		if ((pos = realloc(ix->pos, (size_t)n * sizeof(*pos))) == NULL)
			return -1;
		memset(pos + ix->npos, 0xff, (n - ix->npos) * sizeof(*pos));
		ix->pos = pos;
		ix->npos = n;
	}
	ne.lat = lat;
	ne.lon = lon;
	ne.coslat = cos(lat * GEO_D_R);
	ne.id = id;
	key = geo_key(ix, lat, lon);
	if ((old = ix->pos[id]) != GEO_NONE) {
		e = &ix->ent[old];
		if (geo_key(ix, e->lat, e->lon) == key) {
			*e = ne;
			return 0;
		}
	}
	/* link first: on failure the point stays where it was */
	if ((off = geo_link(ix, key, &ne)) == GEO_NONE)
		return -1;
	if (old != GEO_NONE)
		geo_unlink(ix, old);
	else
		ix->size++;
	ix->pos[id] = off;
	return 0;
}

int
np_geo_index_del(struct np_geo_index *ix, uint32_t id)
{
	if (id >= ix->npos || ix->pos[id] == GEO_NONE)
		return -1;
	geo_unlink(ix, ix->pos[id]);
	ix->pos[id] = GEO_NONE;
	ix->size--;
	return 0;
}
