/* rc-routing.c: Netceptor link-state routing, pure logic (wire.md 6). */
#include "config.h"

#include "rc-routing.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/random.h>

#include "rc-limits.h"

typedef struct {
	guint64 epoch;
	guint64 sequence;
} NodeInfo;

struct _RcRouting {
	char *own_id;
	guint64 own_epoch;
	guint64 sequence; /* own UpdateSequence, incremented before each update (wire.md 2.2) */
	GHashTable *nodes; /* known-node table: char* -> NodeInfo* */
	GHashTable *known; /* known-cost table: char* -> GHashTable (char* -> double*) */
	GHashTable *seen;  /* UpdateID (char*) -> gint64* first-seen time (us) */
	GHashTable *table; /* routing table: dest (char*) -> next hop (char*) */
	GHashTable *costs; /* path costs: node (char*) -> double* */
};

static GHashTable *
cost_map_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static GHashTable *
str_map_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

RcRouting *
rc_routing_new(const char *own_id, guint64 own_epoch)
{
	RcRouting *r;

	g_return_val_if_fail(own_id != NULL, NULL);
	r = g_new0(RcRouting, 1);
	r->own_id = g_strdup(own_id);
	r->own_epoch = own_epoch;
	r->nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_hash_table_unref);
	r->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r->table = str_map_new();
	r->costs = cost_map_new();
	return r;
}

void
rc_routing_free(RcRouting *r)
{
	if (r == NULL)
		return;
	g_free(r->own_id);
	g_clear_pointer(&r->nodes, g_hash_table_unref);
	g_clear_pointer(&r->known, g_hash_table_unref);
	g_clear_pointer(&r->seen, g_hash_table_unref);
	g_clear_pointer(&r->table, g_hash_table_unref);
	g_clear_pointer(&r->costs, g_hash_table_unref);
	g_free(r);
}

/* Cryptographic random bytes; getrandom(2) only fails before the kernel's pool
 * is initialised or on ancient kernels, then fall back to GLib's PRNG. */
static void
random_bytes(guint8 *buf, gsize len)
{
	gsize got = 0;

	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (gsize)n;
	}
	for (; got < len; got++)
		buf[got] = (guint8)g_random_int_range(0, 256);
}

guint64
rc_routing_make_epoch(void)
{
	/* wire.md 2.2: unix_seconds * 2^24 + random[0, 2^24) (non-cryptographic) */
	guint64 secs = (guint64)(g_get_real_time() / G_USEC_PER_SEC);

	return (secs << 24) + (guint64)g_random_int_range(0, 1 << 24);
}

char *
rc_routing_make_update_id(void)
{
	/* wire.md 1.2 / 2.2: 8 chars, uniform over this 62-char set */
	static const char set[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char *id = g_malloc(RC_WIRE_UPDATE_ID_LEN + 1);
	gsize n = 0;

	while (n < RC_WIRE_UPDATE_ID_LEN) {
		guint8 buf[16];
		random_bytes(buf, sizeof(buf));
		for (gsize i = 0; i < sizeof(buf) && n < RC_WIRE_UPDATE_ID_LEN; i++) {
			/* 248 = 4 * 62: rejecting 248..255 keeps the choice uniform */
			if (buf[i] < 248)
				id[n++] = set[buf[i] % 62];
		}
	}
	id[n] = '\0';
	return id;
}

const char *
rc_routing_get_own_id(const RcRouting *r)
{
	g_return_val_if_fail(r != NULL, NULL);
	return r->own_id;
}

guint64
rc_routing_get_own_epoch(const RcRouting *r)
{
	g_return_val_if_fail(r != NULL, 0);
	return r->own_epoch;
}

/* known[a] (created when absent). (transfer none) */
static GHashTable *
known_row(RcRouting *r, const char *a)
{
	GHashTable *row = g_hash_table_lookup(r->known, a);

	if (row == NULL) {
		row = cost_map_new();
		g_hash_table_insert(r->known, g_strdup(a), row);
	}
	return row;
}

void
rc_routing_link_up(RcRouting *r, const char *peer, double cost)
{
	g_return_if_fail(r != NULL && peer != NULL);
	/* wire.md 5.3 step 8 */
	g_hash_table_insert(known_row(r, r->own_id), g_strdup(peer), g_memdup2(&cost, sizeof(cost)));
	g_hash_table_insert(known_row(r, peer), g_strdup(r->own_id), g_memdup2(&cost, sizeof(cost)));
}

void
rc_routing_link_down(RcRouting *r, const char *peer)
{
	GHashTable *row;

	g_return_if_fail(r != NULL && peer != NULL);
	/* wire.md 5.6: inner entries go, outer keys stay */
	row = g_hash_table_lookup(r->known, peer);
	if (row != NULL)
		g_hash_table_remove(row, r->own_id);
	row = g_hash_table_lookup(r->known, r->own_id);
	if (row != NULL)
		g_hash_table_remove(row, peer);
}

/* Go's reflect.DeepEqual(ri.Connections, known[node]): a null map equals only a
 * missing entry; otherwise same keys and values equal under == (wire.md 6.4). */
static gboolean
connections_equal(const RcRoutingUpdate *ri, GHashTable *row)
{
	GHashTableIter it;
	gpointer k, v;

	if (row == NULL)
		return ri->connections_null && g_hash_table_size(ri->connections) == 0;
	if (ri->connections_null && g_hash_table_size(ri->connections) == 0)
		return FALSE;
	if (g_hash_table_size(ri->connections) != g_hash_table_size(row))
		return FALSE;
	g_hash_table_iter_init(&it, ri->connections);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const double *w = g_hash_table_lookup(row, k);
		if (w == NULL || !(*w == *(const double *)v))
			return FALSE;
	}
	return TRUE;
}

static gint
cmp_gint64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

/* Bound the seen-update table (RC_ROUTING_MAX_SEEN_UPDATES): drop the older half. */
static void
seen_trim(RcRouting *r)
{
	g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(gint64));
	GHashTableIter it;
	gpointer v;
	gint64 median;

	g_hash_table_iter_init(&it, r->seen);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_array_append_val(times, *(gint64 *)v);
	g_array_sort(times, cmp_gint64);
	median = g_array_index(times, gint64, times->len / 2);
	g_hash_table_iter_init(&it, r->seen);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		if (*(gint64 *)v <= median)
			g_hash_table_iter_remove(&it);
	}
}

RcRoutingResult
rc_routing_handle_update(RcRouting *r, const RcRoutingUpdate *ri, const char *via, gint64 now_us)
{
	RcRoutingResult res = {RC_ROUTING_ACCEPTED, RC_ROUTING_DO_NOTHING, 0};
	NodeInfo *ni;

	g_return_val_if_fail(r != NULL && ri != NULL, res);

	/* step 1 */
	if (ri->node_id == NULL || ri->node_id[0] == '\0') {
		res.verdict = RC_ROUTING_IGNORED_NO_NODE;
		return res;
	}
	/* step 2: our own ID */
	if (strcmp(ri->node_id, r->own_id) == 0) {
		if (ri->epoch == r->own_epoch) {
			res.verdict = RC_ROUTING_IGNORED_OWN;
		} else if (ri->suspected_duplicate == r->own_epoch) {
			res.verdict = RC_ROUTING_WE_ARE_DUPLICATE;
			res.todo = RC_ROUTING_DO_SHUTDOWN;
		} else if (ri->epoch > r->own_epoch) {
			res.verdict = RC_ROUTING_DUPLICATE_DETECTED;
			res.todo = RC_ROUTING_DO_SEND_DUPLICATE;
			res.suspected_epoch = ri->epoch;
		} else {
			res.verdict = RC_ROUTING_IGNORED_OWN_OLDER;
		}
		return res;
	}
	/* step 3 */
	if (g_hash_table_contains(r->seen, ri->update_id)) {
		res.verdict = RC_ROUTING_IGNORED_SEEN;
		return res;
	}
	if (g_hash_table_size(r->seen) >= RC_ROUTING_MAX_SEEN_UPDATES)
		seen_trim(r);
	g_hash_table_insert(r->seen, g_strdup(ri->update_id), g_memdup2(&now_us, sizeof(now_us)));

	ni = g_hash_table_lookup(r->nodes, ri->node_id);
	if (ri->suspected_duplicate != 0) {
		/* step 4: connections are not touched */
		if (ni != NULL && ni->epoch == ri->suspected_duplicate) {
			ni->epoch = ri->epoch;
			ni->sequence = ri->sequence;
		}
		res.verdict = RC_ROUTING_SUSPECT;
		res.todo = RC_ROUTING_DO_FLOOD;
		return res;
	}

	/* step 5 */
	if (ni != NULL) {
		if (ri->epoch < ni->epoch) {
			res.verdict = RC_ROUTING_IGNORED_OLD_EPOCH;
			return res;
		}
		if (ri->epoch == ni->epoch && ri->sequence <= ni->sequence) {
			res.verdict = RC_ROUTING_IGNORED_OLD_SEQUENCE;
			return res;
		}
	} else {
		if (g_hash_table_size(r->nodes) >= RC_ROUTING_MAX_KNOWN_NODES) {
			res.verdict = RC_ROUTING_IGNORED_TOO_MANY_NODES;
			return res;
		}
		ni = g_new0(NodeInfo, 1);
		g_hash_table_insert(r->nodes, g_strdup(ri->node_id), ni);
		res.todo |= RC_ROUTING_DO_SEND_UPDATE | RC_ROUTING_DO_ADD_NAME;
	}
	ni->epoch = ri->epoch;
	ni->sequence = ri->sequence;

	if (!connections_equal(ri, g_hash_table_lookup(r->known, ri->node_id))) {
		GHashTable *row = cost_map_new();
		GHashTableIter it;
		gpointer k, v;

		g_hash_table_iter_init(&it, ri->connections);
		while (g_hash_table_iter_next(&it, &k, &v))
			g_hash_table_insert(row, g_strdup(k), g_memdup2(v, sizeof(double)));
		g_hash_table_replace(r->known, g_strdup(ri->node_id), row);
		g_hash_table_iter_init(&it, r->known);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			if (strcmp(k, r->own_id) == 0)
				continue;
			if (!g_hash_table_contains(ri->connections, k))
				g_hash_table_remove(v, ri->node_id);
		}
		res.todo |= RC_ROUTING_DO_RECOMPUTE;
	}
	res.todo |= RC_ROUTING_DO_FLOOD;
	res.verdict = RC_ROUTING_ACCEPTED;
	return res;
}

guint
rc_routing_expire_seen(RcRouting *r, gint64 now_us)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;

	g_return_val_if_fail(r != NULL, 0);
	g_hash_table_iter_init(&it, r->seen);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		if (*(gint64 *)v < now_us - RC_ROUTING_SEEN_EXPIRE_US) {
			g_hash_table_iter_remove(&it);
			n++;
		}
	}
	return n;
}

RcRoutingUpdate *
rc_routing_make_update(RcRouting *r, const char *update_id, guint64 suspected_duplicate)
{
	RcRoutingUpdate *ru;
	GHashTable *row;

	g_return_val_if_fail(r != NULL && update_id != NULL, NULL);
	ru = rc_routing_update_new();
	r->sequence++;
	g_free(ru->node_id);
	ru->node_id = g_strdup(r->own_id);
	g_free(ru->update_id);
	ru->update_id = g_strdup(update_id);
	ru->epoch = r->own_epoch;
	ru->sequence = r->sequence;
	row = g_hash_table_lookup(r->known, r->own_id);
	if (row != NULL) {
		GHashTableIter it;
		gpointer k, v;
		g_hash_table_iter_init(&it, row);
		while (g_hash_table_iter_next(&it, &k, &v))
			rc_routing_update_set_connection(ru, k, *(double *)v);
	}
	g_free(ru->forwarding_node);
	ru->forwarding_node = g_strdup(r->own_id);
	ru->suspected_duplicate = suspected_duplicate;
	return ru;
}

/* ------------------------------------------------------------ path computation (6.7) */

typedef struct {
	double dist;
	const char *name; /* borrowed from the known table or own_id */
} QItem;

static gint
qitem_cmp(gconstpointer a, gconstpointer b, gpointer user_data)
{
	const QItem *x = a, *y = b;

	if (x->dist < y->dist)
		return -1;
	if (x->dist > y->dist)
		return 1;
	return strcmp(x->name, y->name);
}

static void
queue_push(GSequence *q, double dist, const char *name)
{
	QItem *it = g_new(QItem, 1);

	it->dist = dist;
	it->name = name;
	g_sequence_insert_sorted(q, it, qitem_cmp, NULL);
}

static gboolean
tables_equal(GHashTable *a, GHashTable *b)
{
	GHashTableIter it;
	gpointer k, v;

	if (g_hash_table_size(a) != g_hash_table_size(b))
		return FALSE;
	g_hash_table_iter_init(&it, a);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const char *w = g_hash_table_lookup(b, k);
		if (w == NULL || strcmp(w, v) != 0)
			return FALSE;
	}
	return TRUE;
}

gboolean
rc_routing_recompute(RcRouting *r)
{
	/* names are borrowed from r->known keys / r->own_id for the duration */
	g_autoptr(GHashTable) dist = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_autoptr(GHashTable) prev = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) done = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GSequence) q = g_sequence_new(g_free);
	g_autoptr(GHashTable) table = str_map_new();
	g_autoptr(GHashTable) costs = cost_map_new();
	GHashTableIter it;
	gpointer k, v;
	double zero = 0.0, max = G_MAXDOUBLE;
	gboolean changed;

	g_return_val_if_fail(r != NULL, FALSE);

	/* nodes: own ID plus every outer key of known (wire.md 6.7) */
	g_hash_table_iter_init(&it, r->known);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_hash_table_insert(dist, k, g_memdup2(&max, sizeof(max)));
	g_hash_table_insert(dist, r->own_id, g_memdup2(&zero, sizeof(zero)));
	queue_push(q, 0.0, r->own_id);

	while (g_sequence_get_length(q) > 0) {
		GSequenceIter *first = g_sequence_get_begin_iter(q);
		QItem item = *(QItem *)g_sequence_get(first);
		GHashTable *row;
		const double *dn;

		g_sequence_remove(first);
		if (g_hash_table_contains(done, item.name))
			continue;
		g_hash_table_add(done, (gpointer)item.name);
		dn = g_hash_table_lookup(dist, item.name);
		row = g_hash_table_lookup(r->known, item.name);
		if (row == NULL)
			continue;
		g_hash_table_iter_init(&it, row);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			gpointer orig_key, dv;
			double path;

			/* a neighbour that is not an outer key is never relaxed (wire.md 6.7) */
			if (!g_hash_table_lookup_extended(dist, k, &orig_key, &dv))
				continue;
			if (g_hash_table_contains(done, orig_key))
				continue;
			path = *dn + *(const double *)v;
			if (path < *(double *)dv) {
				*(double *)dv = path;
				g_hash_table_insert(prev, orig_key, (gpointer)item.name);
				queue_push(q, path, orig_key);
			}
		}
	}

	/* next hops: follow predecessors back to the node whose predecessor is us */
	g_hash_table_iter_init(&it, r->known);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		const char *p = k;
		guint guard = g_hash_table_size(dist) + 1;

		while (guard-- > 0) {
			const char *pp = g_hash_table_lookup(prev, p);
			if (pp == NULL)
				break;
			if (strcmp(pp, r->own_id) == 0) {
				g_hash_table_insert(table, g_strdup(k), g_strdup(p));
				break;
			}
			p = pp;
		}
	}
	g_hash_table_iter_init(&it, dist);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(costs, g_strdup(k), g_memdup2(v, sizeof(double)));

	changed = !tables_equal(table, r->table);
	g_hash_table_unref(r->table);
	r->table = g_steal_pointer(&table);
	g_hash_table_unref(r->costs);
	r->costs = g_steal_pointer(&costs);
	return changed;
}

const char *
rc_routing_next_hop(const RcRouting *r, const char *dest)
{
	g_return_val_if_fail(r != NULL && dest != NULL, NULL);
	return g_hash_table_lookup(r->table, dest);
}

double
rc_routing_path_cost(const RcRouting *r, const char *node)
{
	const double *c;

	g_return_val_if_fail(r != NULL && node != NULL, G_MAXDOUBLE);
	if (strcmp(node, r->own_id) == 0)
		return 0.0;
	c = g_hash_table_lookup(r->costs, node);
	return c != NULL ? *c : G_MAXDOUBLE;
}

GHashTable *
rc_routing_get_table(const RcRouting *r)
{
	g_return_val_if_fail(r != NULL, NULL);
	return r->table;
}

GHashTable *
rc_routing_get_known(const RcRouting *r)
{
	g_return_val_if_fail(r != NULL, NULL);
	return r->known;
}

gboolean
rc_routing_get_node(const RcRouting *r, const char *node, guint64 *epoch, guint64 *sequence)
{
	const NodeInfo *ni;

	g_return_val_if_fail(r != NULL && node != NULL, FALSE);
	ni = g_hash_table_lookup(r->nodes, node);
	if (ni == NULL)
		return FALSE;
	if (epoch != NULL)
		*epoch = ni->epoch;
	if (sequence != NULL)
		*sequence = ni->sequence;
	return TRUE;
}

/* ------------------------------------------------------------ log text */

static gint
cmp_str_ptr(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static GPtrArray *
sorted_keys(GHashTable *t)
{
	GPtrArray *keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, t);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(keys, k);
	g_ptr_array_sort(keys, cmp_str_ptr);
	return keys;
}

/* "peer(1.00) " items as Go's "%s(%.2f) " (locale-independent) */
static void
append_costs(GString *s, GHashTable *row, const char *sep_after)
{
	g_autoptr(GPtrArray) keys = sorted_keys(row);

	for (guint i = 0; i < keys->len; i++) {
		char buf[G_ASCII_DTOSTR_BUF_SIZE];
		const char *k = g_ptr_array_index(keys, i);
		g_ascii_formatd(buf, sizeof(buf), "%.2f", *(const double *)g_hash_table_lookup(row, k));
		if (i > 0 && sep_after == NULL)
			g_string_append_c(s, ' ');
		g_string_append_printf(s, "%s(%s)%s", k, buf, sep_after != NULL ? sep_after : "");
	}
}

char *
rc_routing_format_table(const RcRouting *r)
{
	g_autoptr(GString) s = g_string_new("Known Connections:");
	g_autoptr(GPtrArray) nodes = NULL;
	g_autoptr(GPtrArray) dests = NULL;

	g_return_val_if_fail(r != NULL, NULL);
	nodes = sorted_keys(r->known);
	for (guint i = 0; i < nodes->len; i++) {
		const char *n = g_ptr_array_index(nodes, i);
		g_string_append_printf(s, "\n   %s: ", n);
		append_costs(s, g_hash_table_lookup(r->known, n), " ");
	}
	g_string_append(s, "\nRouting Table:");
	dests = sorted_keys(r->table);
	for (guint i = 0; i < dests->len; i++) {
		const char *d = g_ptr_array_index(dests, i);
		g_string_append_printf(s, "\n   %s via %s", d,
				       (const char *)g_hash_table_lookup(r->table, d));
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

char *
rc_routing_format_connections(const RcRoutingUpdate *ru)
{
	GString *s = g_string_new(NULL);

	g_return_val_if_fail(ru != NULL, NULL);
	append_costs(s, ru->connections, NULL);
	return g_string_free(s, FALSE);
}
