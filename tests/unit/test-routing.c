/* test-routing.c: link-state routing (wire.md 6) as "given these updates, this table". */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "rc-routing.h"

#define EPOCH_A G_GUINT64_CONSTANT(29021228248059375)
#define T0 G_GINT64_CONSTANT(1000000000)

static guint update_counter;

/* An update from `node` with connections "peer=cost,peer=cost" (NULL: JSON null). */
static RcRoutingUpdate *
mk(const char *node, guint64 epoch, guint64 seq, const char *conns)
{
	RcRoutingUpdate *ru = rc_routing_update_new();

	g_free(ru->node_id);
	ru->node_id = g_strdup(node);
	g_free(ru->update_id);
	ru->update_id = g_strdup_printf("u%07u", ++update_counter);
	g_free(ru->forwarding_node);
	ru->forwarding_node = g_strdup(node);
	ru->epoch = epoch;
	ru->sequence = seq;
	if (conns == NULL) {
		ru->connections_null = TRUE;
	} else if (conns[0] != '\0') {
		g_auto(GStrv) items = g_strsplit(conns, ",", -1);
		for (guint i = 0; items[i] != NULL; i++) {
			g_auto(GStrv) kv = g_strsplit(items[i], "=", 2);
			rc_routing_update_set_connection(ru, kv[0], g_ascii_strtod(kv[1], NULL));
		}
	}
	return ru;
}

/* Feed an update and return the result. */
static RcRoutingResult
feed(RcRouting *r, const char *node, guint64 epoch, guint64 seq, const char *conns)
{
	g_autoptr(RcRoutingUpdate) ru = mk(node, epoch, seq, conns);
	return rc_routing_handle_update(r, ru, "via", T0);
}

/* "dest>hop,dest>hop" sorted, from the routing table */
static char *
table_text(RcRouting *r)
{
	GHashTable *t = rc_routing_get_table(r);
	g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(t), (GCompareFunc)strcmp);
	g_autoptr(GString) s = g_string_new(NULL);

	for (GList *l = keys; l != NULL; l = l->next) {
		if (s->len > 0)
			g_string_append_c(s, ',');
		g_string_append_printf(s, "%s>%s", (const char *)l->data,
				       (const char *)g_hash_table_lookup(t, l->data));
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean
known_has(RcRouting *r, const char *a, const char *b, double *cost)
{
	GHashTable *row = g_hash_table_lookup(rc_routing_get_known(r), a);
	const double *c = row != NULL ? g_hash_table_lookup(row, b) : NULL;

	if (c != NULL && cost != NULL)
		*cost = *c;
	return c != NULL;
}

/* ------------------------------------------------------------ tests */

static void
test_link_up_both_directions(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autofree char *t = NULL;
	double c = 0;

	rc_routing_link_up(r, "B", 2.5);
	g_assert_true(known_has(r, "A", "B", &c));
	g_assert_cmpfloat(c, ==, 2.5);
	g_assert_true(known_has(r, "B", "A", &c));
	g_assert_cmpfloat(c, ==, 2.5);
	g_assert_true(rc_routing_recompute(r));
	t = table_text(r);
	g_assert_cmpstr(t, ==, "B>B");
	g_assert_cmpfloat(rc_routing_path_cost(r, "B"), ==, 2.5);
	g_assert_cmpfloat(rc_routing_path_cost(r, "A"), ==, 0.0);
	/* same table again: no change */
	g_assert_false(rc_routing_recompute(r));
}

static void
test_lower_cost_path_wins(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autofree char *t = NULL;

	rc_routing_link_up(r, "B", 1);
	rc_routing_link_up(r, "C", 1);
	feed(r, "B", 10, 1, "A=1,D=1");
	feed(r, "C", 10, 1, "A=1,D=5");
	feed(r, "D", 10, 1, "B=1,C=5");
	rc_routing_recompute(r);
	t = table_text(r);
	g_assert_cmpstr(t, ==, "B>B,C>C,D>B");
	g_assert_cmpfloat(rc_routing_path_cost(r, "D"), ==, 2.0);
	g_assert_cmpstr(rc_routing_next_hop(r, "D"), ==, "B");
	g_assert_null(rc_routing_next_hop(r, "A"));
}

static void
test_equal_cost_tie_is_deterministic(void)
{
	/* A-B, A-C, B-D, C-D all cost 1: D is reached through B (lowest ID first) */
	for (int order = 0; order < 2; order++) {
		g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
		g_autofree char *t = NULL;

		if (order == 0) {
			rc_routing_link_up(r, "B", 1);
			rc_routing_link_up(r, "C", 1);
			feed(r, "B", 10, 1, "A=1,D=1");
			feed(r, "C", 10, 1, "A=1,D=1");
		} else {
			rc_routing_link_up(r, "C", 1);
			rc_routing_link_up(r, "B", 1);
			feed(r, "C", 10, 1, "A=1,D=1");
			feed(r, "B", 10, 1, "A=1,D=1");
		}
		feed(r, "D", 10, 1, "B=1,C=1");
		rc_routing_recompute(r);
		t = table_text(r);
		g_assert_cmpstr(t, ==, "B>B,C>C,D>B");
	}
}

static void
test_directed_edges_use_advertised_cost(void)
{
	/* B advertises a cheap B->D, but the path A->B is what A advertises; multi-hop */
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autofree char *t = NULL;

	rc_routing_link_up(r, "B", 10);
	rc_routing_link_up(r, "C", 1);
	feed(r, "B", 10, 1, "A=10,E=1");
	feed(r, "C", 10, 1, "A=1,B=1");
	feed(r, "E", 10, 1, "B=1");
	rc_routing_recompute(r);
	t = table_text(r);
	/* A->C->B->E = 1+1+1 beats A->B->E = 11 */
	g_assert_cmpstr(t, ==, "B>C,C>C,E>C");
	g_assert_cmpfloat(rc_routing_path_cost(r, "E"), ==, 3.0);
}

static void
test_neighbour_without_own_update_unreachable(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autofree char *t = NULL;

	rc_routing_link_up(r, "B", 1);
	feed(r, "B", 10, 1, "A=1,X=1");
	rc_routing_recompute(r);
	t = table_text(r);
	g_assert_cmpstr(t, ==, "B>B");
	g_assert_null(rc_routing_next_hop(r, "X"));
	g_assert_cmpfloat(rc_routing_path_cost(r, "X"), ==, G_MAXDOUBLE);
}

static void
test_link_down_removes_route_but_keeps_node(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autofree char *t = NULL;

	rc_routing_link_up(r, "B", 1);
	feed(r, "B", 10, 1, "A=1");
	rc_routing_recompute(r);
	rc_routing_link_down(r, "B");
	g_assert_true(rc_routing_recompute(r));
	t = table_text(r);
	g_assert_cmpstr(t, ==, "");
	g_assert_false(known_has(r, "A", "B", NULL));
	g_assert_false(known_has(r, "B", "A", NULL));
	/* outer key stays (wire.md 6.7: stale nodes never expire) */
	g_assert_true(g_hash_table_contains(rc_routing_get_known(r), "B"));
	g_assert_cmpfloat(rc_routing_path_cost(r, "B"), ==, G_MAXDOUBLE);
}

static void
test_epoch_sequence_ordering(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	RcRoutingResult res;
	guint64 e = 0, s = 0;

	res = feed(r, "B", 10, 5, "A=1");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_ACCEPTED);
	g_assert_cmpuint(res.todo, ==,
			 RC_ROUTING_DO_FLOOD | RC_ROUTING_DO_RECOMPUTE | RC_ROUTING_DO_SEND_UPDATE |
				 RC_ROUTING_DO_ADD_NAME);
	res = feed(r, "B", 10, 5, "A=1");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_IGNORED_OLD_SEQUENCE);
	g_assert_cmpuint(res.todo, ==, RC_ROUTING_DO_NOTHING);
	res = feed(r, "B", 10, 4, "A=2");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_IGNORED_OLD_SEQUENCE);
	res = feed(r, "B", 9, 100, "A=2");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_IGNORED_OLD_EPOCH);
	/* same connections, newer sequence: stored and flooded, no recompute */
	res = feed(r, "B", 10, 6, "A=1");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_ACCEPTED);
	g_assert_cmpuint(res.todo, ==, RC_ROUTING_DO_FLOOD);
	/* a restart (newer epoch) with a lower sequence is accepted */
	res = feed(r, "B", 11, 1, "A=1");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_ACCEPTED);
	g_assert_true(rc_routing_get_node(r, "B", &e, &s));
	g_assert_cmpuint(e, ==, 11);
	g_assert_cmpuint(s, ==, 1);
}

static void
test_seen_update_ignored_then_expires(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autoptr(RcRoutingUpdate) ru = mk("B", 10, 1, "A=1");
	g_autoptr(RcRoutingUpdate) ru2 = mk("B", 10, 2, "A=1");
	RcRoutingResult res;

	res = rc_routing_handle_update(r, ru, "B", T0);
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_ACCEPTED);
	res = rc_routing_handle_update(r, ru, "C", T0 + 1);
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_IGNORED_SEEN);
	g_assert_cmpuint(res.todo, ==, RC_ROUTING_DO_NOTHING);
	/* same UpdateID on a newer sequence is still a seen ID */
	g_free(ru2->update_id);
	ru2->update_id = g_strdup(ru->update_id);
	res = rc_routing_handle_update(r, ru2, "C", T0 + 2);
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_IGNORED_SEEN);

	g_assert_cmpuint(rc_routing_expire_seen(r, T0 + RC_ROUTING_SEEN_EXPIRE_US), ==, 0);
	g_assert_cmpuint(rc_routing_expire_seen(r, T0 + RC_ROUTING_SEEN_EXPIRE_US + 1), ==, 1);
	res = rc_routing_handle_update(r, ru2, "C", T0 + RC_ROUTING_SEEN_EXPIRE_US + 2);
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_ACCEPTED);
}

static void
test_own_id_cases(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autoptr(RcRoutingUpdate) impostor_told = NULL;
	RcRoutingResult res;

	res = feed(r, "", 10, 1, "A=1");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_IGNORED_NO_NODE);
	res = feed(r, "A", EPOCH_A, 7, "B=1");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_IGNORED_OWN);
	g_assert_cmpuint(res.todo, ==, RC_ROUTING_DO_NOTHING);
	res = feed(r, "A", EPOCH_A - 1, 7, "B=1");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_IGNORED_OWN_OLDER);
	/* a newer process uses our ID */
	res = feed(r, "A", EPOCH_A + 5, 1, "");
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_DUPLICATE_DETECTED);
	g_assert_cmpuint(res.todo, ==, RC_ROUTING_DO_SEND_DUPLICATE);
	g_assert_cmpuint(res.suspected_epoch, ==, EPOCH_A + 5);
	/* an older process tells us we are the duplicate */
	impostor_told = mk("A", EPOCH_A - 9, 3, "");
	impostor_told->suspected_duplicate = EPOCH_A;
	res = rc_routing_handle_update(r, impostor_told, "B", T0);
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_WE_ARE_DUPLICATE);
	g_assert_cmpuint(res.todo, ==, RC_ROUTING_DO_SHUTDOWN);
}

static void
test_suspect_reverts_known_epoch(void)
{
	/* third node: knows B at epoch 20 (the impostor); the original (epoch 10)
	 * floods a notification suspecting 20 */
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autoptr(RcRoutingUpdate) note = mk("B", 10, 50, "X=1");
	RcRoutingResult res;
	guint64 e = 0, s = 0;
	double c;

	feed(r, "B", 20, 3, "A=1");
	note->suspected_duplicate = 20;
	res = rc_routing_handle_update(r, note, "C", T0);
	g_assert_cmpint(res.verdict, ==, RC_ROUTING_SUSPECT);
	g_assert_cmpuint(res.todo, ==, RC_ROUTING_DO_FLOOD);
	g_assert_true(rc_routing_get_node(r, "B", &e, &s));
	g_assert_cmpuint(e, ==, 10);
	g_assert_cmpuint(s, ==, 50);
	/* connections untouched */
	g_assert_true(known_has(r, "B", "A", &c));
	g_assert_false(known_has(r, "B", "X", NULL));
}

static void
test_null_connections_change_detection(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	RcRoutingResult res;

	/* null vs no entry: unchanged */
	res = feed(r, "B", 10, 1, NULL);
	g_assert_cmpuint(res.todo & RC_ROUTING_DO_RECOMPUTE, ==, 0);
	g_assert_false(g_hash_table_contains(rc_routing_get_known(r), "B"));
	/* {} vs no entry: changed, an empty row appears */
	res = feed(r, "B", 10, 2, "");
	g_assert_cmpuint(res.todo & RC_ROUTING_DO_RECOMPUTE, ==, RC_ROUTING_DO_RECOMPUTE);
	g_assert_true(g_hash_table_contains(rc_routing_get_known(r), "B"));
	/* {} vs {}: unchanged */
	res = feed(r, "B", 10, 3, "");
	g_assert_cmpuint(res.todo & RC_ROUTING_DO_RECOMPUTE, ==, 0);
	/* null vs {}: changed (Go's DeepEqual) */
	res = feed(r, "B", 10, 4, NULL);
	g_assert_cmpuint(res.todo & RC_ROUTING_DO_RECOMPUTE, ==, RC_ROUTING_DO_RECOMPUTE);
}

static void
test_changed_update_drops_stale_reverse_edges(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autofree char *t1 = NULL, *t2 = NULL;

	rc_routing_link_up(r, "B", 1);
	feed(r, "B", 10, 1, "A=1,D=1");
	feed(r, "D", 10, 1, "B=1");
	rc_routing_recompute(r);
	t1 = table_text(r);
	g_assert_cmpstr(t1, ==, "B>B,D>B");
	/* B drops D: known[D][B] goes too, though D never said so */
	feed(r, "B", 10, 2, "A=1");
	g_assert_false(known_has(r, "D", "B", NULL));
	/* known[self] is never modified by routing updates */
	g_assert_true(known_has(r, "A", "B", NULL));
	rc_routing_recompute(r);
	t2 = table_text(r);
	g_assert_cmpstr(t2, ==, "B>B");
}

static void
test_make_update(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("foo", EPOCH_A);
	g_autoptr(RcRoutingUpdate) u1 = NULL;
	g_autoptr(RcRoutingUpdate) u2 = NULL;
	g_autoptr(GBytes) enc = NULL;
	g_autofree char *conns = NULL;
	static const char want[] =
		"\x01{\"NodeID\":\"foo\",\"UpdateID\":\"Qz9Lm2Xc\",\"UpdateEpoch\":29021228248059375,"
		"\"UpdateSequence\":2,\"Connections\":{\"bar\":1,\"fish\":2.5},\"ForwardingNode\":"
		"\"foo\",\"SuspectedDuplicate\":0}";

	u1 = rc_routing_make_update(r, "aB3dE5fG", 0);
	g_assert_cmpuint(u1->sequence, ==, 1);
	g_assert_false(u1->connections_null);
	g_assert_cmpuint(g_hash_table_size(u1->connections), ==, 0);
	rc_routing_link_up(r, "fish", 2.5);
	rc_routing_link_up(r, "bar", 1.0);
	u2 = rc_routing_make_update(r, "Qz9Lm2Xc", 0);
	enc = rc_routing_update_encode(u2);
	g_assert_cmpmem(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc), want, sizeof(want) - 1);
	conns = rc_routing_format_connections(u2);
	g_assert_cmpstr(conns, ==, "bar(1.00) fish(2.50)");
}

static void
test_format_table(void)
{
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	g_autofree char *text = NULL;

	rc_routing_link_up(r, "B", 1);
	feed(r, "B", 10, 1, "A=1,C=2.5");
	feed(r, "C", 10, 1, "B=2.5");
	rc_routing_recompute(r);
	text = rc_routing_format_table(r);
	g_assert_cmpstr(text, ==,
			"Known Connections:\n"
			"   A: B(1.00) \n"
			"   B: A(1.00) C(2.50) \n"
			"   C: B(2.50) \n"
			"Routing Table:\n"
			"   B via B\n"
			"   C via B");
}

static void
test_update_id_and_epoch(void)
{
	g_autofree char *id = rc_routing_make_update_id();
	guint64 e = rc_routing_make_epoch();
	guint64 now = (guint64)(g_get_real_time() / G_USEC_PER_SEC);

	g_assert_cmpuint(strlen(id), ==, 8);
	for (int i = 0; i < 8; i++)
		g_assert_true(g_ascii_isalnum(id[i]));
	/* unix seconds in the top bits */
	g_assert_cmpuint(e >> 24, <=, now);
	g_assert_cmpuint(e >> 24, >=, now - 5);
}

static void
test_too_many_seen_updates_trimmed(void)
{
	/* not the full 10^6: check that the trim keeps the newer half working */
	g_autoptr(RcRouting) r = rc_routing_new("A", EPOCH_A);
	RcRoutingResult res;

	for (int i = 0; i < 1000; i++) {
		g_autoptr(RcRoutingUpdate) ru = mk("B", 10, (guint64)i + 1, "A=1");
		res = rc_routing_handle_update(r, ru, "B", T0 + i);
		g_assert_cmpint(res.verdict, ==, RC_ROUTING_ACCEPTED);
	}
	g_assert_cmpuint(rc_routing_expire_seen(r, T0 + RC_ROUTING_SEEN_EXPIRE_US + 500), ==, 500);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/netceptor/routing/link-up-sets-both-directions",
			test_link_up_both_directions);
	g_test_add_func("/netceptor/routing/lower-cost-path-wins", test_lower_cost_path_wins);
	g_test_add_func("/netceptor/routing/equal-cost-tie-goes-to-lowest-node-id",
			test_equal_cost_tie_is_deterministic);
	g_test_add_func("/netceptor/routing/directed-edges-use-advertised-cost",
			test_directed_edges_use_advertised_cost);
	g_test_add_func("/netceptor/routing/neighbour-without-own-update-is-unreachable",
			test_neighbour_without_own_update_unreachable);
	g_test_add_func("/netceptor/routing/link-down-removes-route-keeps-node",
			test_link_down_removes_route_but_keeps_node);
	g_test_add_func("/netceptor/routing/older-epoch-or-sequence-ignored",
			test_epoch_sequence_ordering);
	g_test_add_func("/netceptor/routing/seen-update-ignored-until-expired",
			test_seen_update_ignored_then_expires);
	g_test_add_func("/netceptor/routing/own-id-echo-duplicate-and-impostor", test_own_id_cases);
	g_test_add_func("/netceptor/routing/suspect-notification-reverts-known-epoch",
			test_suspect_reverts_known_epoch);
	g_test_add_func("/netceptor/routing/null-and-empty-connections-differ",
			test_null_connections_change_detection);
	g_test_add_func("/netceptor/routing/changed-update-drops-stale-reverse-edges",
			test_changed_update_drops_stale_reverse_edges);
	g_test_add_func("/netceptor/routing/own-update-lists-links-and-counts-sequence",
			test_make_update);
	g_test_add_func("/netceptor/routing/table-log-text", test_format_table);
	g_test_add_func("/netceptor/routing/update-id-and-epoch-shape", test_update_id_and_epoch);
	g_test_add_func("/netceptor/routing/seen-updates-expire-oldest-first",
			test_too_many_seen_updates_trimmed);

	return g_test_run();
}
