/* test-wire.c: the Netceptor codec against wire.md 1.3.2 and the golden vectors of 12. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "rc-wire.h"

/* ------------------------------------------------------------ helpers */

/* Read tests/golden/wire/<name>.hex: hex pairs, whitespace and '#' comments ignored. */
static GBytes *
golden_load(const char *name)
{
	g_autofree char *file = g_strdup_printf("%s.hex", name);
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "golden", "wire", file, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_auto(GStrv) lines = NULL;

	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		const char *p = lines[i];
		if (p[0] == '#')
			continue;
		while (*p != '\0') {
			if (g_ascii_isspace(*p)) {
				p++;
				continue;
			}
			g_assert_true(g_ascii_isxdigit(p[0]) && g_ascii_isxdigit(p[1]));
			guint8 b = (guint8)(g_ascii_xdigit_value(p[0]) * 16 + g_ascii_xdigit_value(p[1]));
			g_byte_array_append(out, &b, 1);
			p += 2;
		}
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

static GKeyFile *
golden_fields(const char *name)
{
	g_autofree char *file = g_strdup_printf("%s.fields", name);
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "golden", "wire", file, NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;

	g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error);
	g_assert_no_error(error);
	return g_steal_pointer(&kf);
}

static char *
kf_get(GKeyFile *kf, const char *group, const char *key)
{
	g_autoptr(GError) error = NULL;
	char *v = g_key_file_get_string(kf, group, key, &error);

	g_assert_no_error(error);
	return v;
}

static guint64
kf_get_u64(GKeyFile *kf, const char *key)
{
	g_autofree char *v = kf_get(kf, "message", key);
	return g_ascii_strtoull(v, NULL, 10);
}

/* "a=1;b=2.5" from a connections table, sorted, or "null" */
static char *
connections_text(const RcRoutingUpdate *ru)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(GList) keys = NULL;

	if (ru->connections_null)
		return g_strdup("null");
	keys = g_list_sort(g_hash_table_get_keys(ru->connections), (GCompareFunc)strcmp);
	for (GList *l = keys; l != NULL; l = l->next) {
		double c = 0;
		g_assert_true(rc_routing_update_get_connection(ru, l->data, &c));
		if (s->len > 0)
			g_string_append_c(s, ';');
		g_string_append_printf(s, "%s=", (const char *)l->data);
		rc_wire_json_append_double(s, c);
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *
tags_text(const RcServiceAd *ad)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(GList) keys = NULL;

	if (ad->tags == NULL)
		return g_strdup("null");
	keys = g_list_sort(g_hash_table_get_keys(ad->tags), (GCompareFunc)strcmp);
	for (GList *l = keys; l != NULL; l = l->next) {
		if (s->len > 0)
			g_string_append_c(s, ';');
		g_string_append_printf(s, "%s=%s", (const char *)l->data,
				       (const char *)g_hash_table_lookup(ad->tags, l->data));
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *
work_commands_text(const RcServiceAd *ad)
{
	g_autoptr(GString) s = g_string_new(NULL);

	if (ad->work_commands == NULL)
		return g_strdup("null");
	for (guint i = 0; i < ad->work_commands->len; i++) {
		const RcWorkCommand *wc = g_ptr_array_index(ad->work_commands, i);
		if (s->len > 0)
			g_string_append_c(s, ';');
		g_string_append_printf(s, "%s:%s", wc->work_type, wc->secure ? "true" : "false");
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static const char *
hash_name(guint64 h)
{
	static const char *const names[] = {"foo", "bar", "fish", "node1", "node2", "controller"};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		if (rc_wire_name_hash(names[i], strlen(names[i])) == h)
			return names[i];
	return "?";
}

/* ------------------------------------------------------------ names */

static void
test_hash_vectors(void)
{
	/* wire.md 1.3.2 */
	static const struct {
		const char *name;
		guint64 hash;
	} v[] = {
		{"foo", G_GUINT64_CONSTANT(0xef7a78b67f92bdf7)},
		{"bar", G_GUINT64_CONSTANT(0x14ef88ca522894d1)},
		{"fish", G_GUINT64_CONSTANT(0xc5d363d31fa4c961)},
		{"node1", G_GUINT64_CONSTANT(0x61052d2b582eb15e)},
		{"node2", G_GUINT64_CONSTANT(0x51bcc6e14eb3fee1)},
		{"controller", G_GUINT64_CONSTANT(0xbac03aa9a8a96ddc)},
		{"hop", G_GUINT64_CONSTANT(0x8667f24b53be4848)},
		{"execution", G_GUINT64_CONSTANT(0x5521d8e95de72e88)},
		{"a", G_GUINT64_CONSTANT(0xbd6efba9eb78e61f)},
		{"ab", G_GUINT64_CONSTANT(0x9ec3e01ced8812dd)},
		{"abc", G_GUINT64_CONSTANT(0x79c22973b1c34e09)},
		{"abcd", G_GUINT64_CONSTANT(0x41fd8b32af5c2f17)},
		{"hello", G_GUINT64_CONSTANT(0xdf464f8a3c091838)},
		{"receptor-node-0001", G_GUINT64_CONSTANT(0xa6a0dfd197b2a766)},
		{"this-is-a-32-byte-long-node-id!!", G_GUINT64_CONSTANT(0xdeb47135d2321f8c)},
		{"this-is-a-33-byte-long-node-id!!!", G_GUINT64_CONSTANT(0xb643fcb0cfafe5be)},
		{"", G_GUINT64_CONSTANT(0x7035da75b9d54469)},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(v); i++)
		g_assert_cmphex(rc_wire_name_hash(v[i].name, strlen(v[i].name)), ==, v[i].hash);
}

static void
test_hash_in_header_big_endian(void)
{
	static const guint8 foo_be[8] = {0xef, 0x7a, 0x78, 0xb6, 0x7f, 0x92, 0xbd, 0xf7};
	g_autoptr(GBytes) msg = rc_wire_encode_data(1, rc_wire_name_hash("foo", 3), 0, "", "",
						    NULL, 0);
	const guint8 *b = g_bytes_get_data(msg, NULL);

	g_assert_cmpmem(b + 4, 8, foo_be, 8);
}

static void
test_service_fixed(void)
{
	guint8 f[8];
	g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
	static const guint8 ping[8] = {'p', 'i', 'n', 'g', 0, 0, 0, 0};
	static const guint8 zeros[8] = {0};
	static const guint8 interior[8] = {'a', 0, 'b', 0, 0, 0, 0, 0};

	rc_wire_service_to_fixed("ping", f);
	g_assert_cmpmem(f, 8, ping, 8);
	rc_wire_service_to_fixed("Xy7Qa1Bz", f);
	g_assert_cmpmem(f, 8, "Xy7Qa1Bz", 8);
	s1 = rc_wire_service_from_fixed(f);
	g_assert_cmpstr(s1, ==, "Xy7Qa1Bz");
	s2 = rc_wire_service_from_fixed(ping);
	g_assert_cmpstr(s2, ==, "ping");
	s3 = rc_wire_service_from_fixed(zeros);
	g_assert_cmpstr(s3, ==, "");
	/* interior NULs are kept (wire.md 1.2): length 3, "a\0b" */
	g_assert_cmpuint(rc_wire_service_fixed_len(interior), ==, 3);
	s4 = rc_wire_service_from_fixed(interior);
	g_assert_cmpmem(s4, 3, "a\0b", 3);

	g_assert_true(rc_wire_service_name_valid("12345678"));
	g_assert_false(rc_wire_service_name_valid("123456789"));
}

/* ------------------------------------------------------------ golden vectors */

static void
check_data_golden(const char *name)
{
	g_autoptr(GBytes) msg = golden_load(name);
	g_autoptr(GKeyFile) kf = golden_fields(name);
	g_autofree char *from = kf_get(kf, "message", "FromNode");
	g_autofree char *to = kf_get(kf, "message", "ToNode");
	g_autofree char *fsvc = kf_get(kf, "message", "FromService");
	g_autofree char *tsvc = kf_get(kf, "message", "ToService");
	RcDataHeader h;
	gsize len;
	const guint8 *b = g_bytes_get_data(msg, &len);
	g_autoptr(GBytes) again = NULL;

	g_assert_cmpint(rc_wire_decode_data(b, len, &h), ==, RC_WIRE_OK);
	g_assert_cmpuint(h.hops_to_live, ==, kf_get_u64(kf, "HopsToLive"));
	g_assert_cmpstr(hash_name(h.from_node), ==, from);
	g_assert_cmpstr(hash_name(h.to_node), ==, to);
	g_assert_cmphex(h.from_node, ==, rc_wire_name_hash(from, strlen(from)));
	g_assert_cmpstr(h.from_service, ==, fsvc);
	g_assert_cmpstr(h.to_service, ==, tsvc);
	if (g_key_file_has_key(kf, "message", "Payload", NULL)) {
		g_autofree char *payload = kf_get(kf, "message", "Payload");
		g_assert_cmpmem(h.payload, h.payload_len, payload, strlen(payload));
	}
	if (g_key_file_has_group(kf, "unreachable")) {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcUnreachable) u = rc_unreachable_decode(h.payload, h.payload_len, &error);
		g_autoptr(GBytes) enc = NULL;
		g_autofree char *uf = kf_get(kf, "unreachable", "FromNode");
		g_autofree char *ut = kf_get(kf, "unreachable", "ToNode");
		g_autofree char *ufs = kf_get(kf, "unreachable", "FromService");
		g_autofree char *uts = kf_get(kf, "unreachable", "ToService");
		g_autofree char *up = kf_get(kf, "unreachable", "Problem");

		g_assert_no_error(error);
		g_assert_cmpstr(u->from_node, ==, uf);
		g_assert_cmpstr(u->to_node, ==, ut);
		g_assert_cmpstr(u->from_service, ==, ufs);
		g_assert_cmpstr(u->to_service, ==, uts);
		g_assert_cmpstr(u->problem, ==, up);
		enc = rc_unreachable_encode(u);
		g_assert_cmpmem(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc), h.payload,
				h.payload_len);
	}

	/* encode -> the same bytes */
	again = rc_wire_encode_data(h.hops_to_live, rc_wire_name_hash(from, strlen(from)),
				    rc_wire_name_hash(to, strlen(to)), fsvc, tsvc, h.payload,
				    h.payload_len);
	g_assert_cmpmem(g_bytes_get_data(again, NULL), g_bytes_get_size(again), b, len);
}

static void
check_route_golden(const char *name)
{
	g_autoptr(GBytes) msg = golden_load(name);
	g_autoptr(GKeyFile) kf = golden_fields(name);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRoutingUpdate) ru = NULL;
	g_autoptr(GBytes) again = NULL;
	g_autofree char *node = kf_get(kf, "message", "NodeID");
	g_autofree char *uid = kf_get(kf, "message", "UpdateID");
	g_autofree char *fwd = kf_get(kf, "message", "ForwardingNode");
	g_autofree char *conns = kf_get(kf, "message", "Connections");
	g_autofree char *got_conns = NULL;
	gsize len;
	const guint8 *b = g_bytes_get_data(msg, &len);

	g_assert_cmpuint(b[0], ==, RC_MSG_ROUTE);
	ru = rc_routing_update_decode(b + 1, len - 1, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ru->node_id, ==, node);
	g_assert_cmpstr(ru->update_id, ==, uid);
	g_assert_cmpuint(ru->epoch, ==, kf_get_u64(kf, "UpdateEpoch"));
	g_assert_cmpuint(ru->sequence, ==, kf_get_u64(kf, "UpdateSequence"));
	g_assert_cmpstr(ru->forwarding_node, ==, fwd);
	g_assert_cmpuint(ru->suspected_duplicate, ==, kf_get_u64(kf, "SuspectedDuplicate"));
	got_conns = connections_text(ru);
	g_assert_cmpstr(got_conns, ==, conns);

	again = rc_routing_update_encode(ru);
	g_assert_nonnull(again);
	g_assert_cmpmem(g_bytes_get_data(again, NULL), g_bytes_get_size(again), b, len);
}

static void
check_servicead_golden(const char *name)
{
	g_autoptr(GBytes) msg = golden_load(name);
	g_autoptr(GKeyFile) kf = golden_fields(name);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcServiceAd) ad = NULL;
	g_autoptr(GBytes) again = NULL;
	g_autoptr(GString) t = g_string_new(NULL);
	g_autofree char *node = kf_get(kf, "message", "NodeID");
	g_autofree char *svc = kf_get(kf, "message", "Service");
	g_autofree char *time = kf_get(kf, "message", "Time");
	g_autofree char *tags = kf_get(kf, "message", "Tags");
	g_autofree char *wcs = kf_get(kf, "message", "WorkCommands");
	g_autofree char *cancel = kf_get(kf, "message", "Cancel");
	g_autofree char *got_tags = NULL, *got_wcs = NULL;
	gsize len;
	const guint8 *b = g_bytes_get_data(msg, &len);

	g_assert_cmpuint(b[0], ==, RC_MSG_SERVICE_AD);
	ad = rc_service_ad_decode(b + 1, len - 1, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ad->node_id, ==, node);
	g_assert_cmpstr(ad->service, ==, svc);
	g_assert_true(rc_wire_time_append(t, &ad->time));
	g_assert_cmpstr(t->str, ==, time);
	g_assert_cmpuint(ad->conn_type, ==, kf_get_u64(kf, "ConnType"));
	got_tags = tags_text(ad);
	g_assert_cmpstr(got_tags, ==, tags);
	got_wcs = work_commands_text(ad);
	g_assert_cmpstr(got_wcs, ==, wcs);
	g_assert_cmpstr(ad->cancel ? "true" : "false", ==, cancel);

	again = rc_service_ad_encode(ad);
	g_assert_nonnull(again);
	g_assert_cmpmem(g_bytes_get_data(again, NULL), g_bytes_get_size(again), b, len);
}

static void
test_golden_data(void)
{
	check_data_golden("data-ping");
	check_data_golden("data-ping-reply");
	check_data_golden("data-hello");
	check_data_golden("unreach-firewall");
}

static void
test_golden_route(void)
{
	check_route_golden("route-initial");
	check_route_golden("route-update");
	check_route_golden("route-duplicate");
}

static void
test_golden_servicead(void)
{
	check_servicead_golden("servicead-control");
	check_servicead_golden("servicead-cancel");
}

static void
test_golden_reject(void)
{
	g_autoptr(GBytes) want = golden_load("reject");
	g_autoptr(GBytes) got = rc_wire_encode_reject();

	g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got),
			g_bytes_get_data(want, NULL), g_bytes_get_size(want));
}

/* The routing update built field by field equals wire.md 12.1 byte for byte. */
static void
test_route_encode_from_fields(void)
{
	g_autoptr(RcRoutingUpdate) ru = rc_routing_update_new();
	g_autoptr(GBytes) want = golden_load("route-update");
	g_autoptr(GBytes) got = NULL;

	g_free(ru->node_id);
	ru->node_id = g_strdup("foo");
	g_free(ru->update_id);
	ru->update_id = g_strdup("Qz9Lm2Xc");
	ru->epoch = G_GUINT64_CONSTANT(29021228248059375);
	ru->sequence = 2;
	rc_routing_update_set_connection(ru, "fish", 2.5);
	rc_routing_update_set_connection(ru, "bar", 1.0);
	g_free(ru->forwarding_node);
	ru->forwarding_node = g_strdup("foo");
	got = rc_routing_update_encode(ru);
	g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got),
			g_bytes_get_data(want, NULL), g_bytes_get_size(want));
}

static void
test_servicead_encode_from_fields(void)
{
	g_autoptr(RcServiceAd) ad = rc_service_ad_new();
	g_autoptr(GBytes) want = golden_load("servicead-control");
	g_autoptr(GBytes) got = NULL;
	static const char t[] = "2024-10-24T20:40:00.1234567Z";

	g_free(ad->node_id);
	ad->node_id = g_strdup("foo");
	g_free(ad->service);
	ad->service = g_strdup("control");
	g_assert_true(rc_wire_time_parse(t, strlen(t), &ad->time));
	ad->conn_type = RC_CONN_TYPE_STREAM;
	rc_service_ad_set_tag(ad, "type", "Control Service");
	rc_service_ad_add_work_command(ad, "echo", FALSE);
	got = rc_service_ad_encode(ad);
	g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got),
			g_bytes_get_data(want, NULL), g_bytes_get_size(want));
}

/* ------------------------------------------------------------ data messages */

static void
test_data_too_short(void)
{
	guint8 msg[35] = {0};
	RcDataHeader h;

	g_assert_cmpint(rc_wire_decode_data(msg, sizeof(msg), &h), ==, RC_WIRE_TOO_SHORT);
	g_assert_cmpstr(rc_wire_status_message(RC_WIRE_TOO_SHORT), ==,
			"data too short to be a valid message");
	g_assert_cmpint(rc_wire_decode_data(msg, 0, &h), ==, RC_WIRE_EMPTY);
	msg[0] = RC_MSG_ROUTE;
	g_assert_cmpint(rc_wire_decode_data(msg, sizeof(msg), &h), ==, RC_WIRE_WRONG_TYPE);
}

static void
test_data_reserved_ignored(void)
{
	g_autoptr(GBytes) msg = golden_load("data-ping");
	g_autofree guint8 *copy = g_memdup2(g_bytes_get_data(msg, NULL), g_bytes_get_size(msg));
	RcDataHeader h;

	copy[2] = 0xaa;
	copy[3] = 0x55;
	g_assert_cmpint(rc_wire_decode_data(copy, g_bytes_get_size(msg), &h), ==, RC_WIRE_OK);
	g_assert_cmpstr(h.to_service, ==, "ping");
	g_assert_cmpuint(h.payload_len, ==, 0);
}

/* ------------------------------------------------------------ JSON formatting */

static void
test_float_go_format(void)
{
	static const struct {
		double v;
		const char *want;
	} t[] = {
		{1.0, "1"},
		{2.5, "2.5"},
		{100.0, "100"},
		{0.1, "0.1"},
		{0.3, "0.3"},
		{1.0 / 3.0, "0.3333333333333333"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{1.5e21, "1.5e+21"},
		{1e-6, "0.000001"},
		{1e-7, "1e-7"},
		{1.5e-7, "1.5e-7"},
		{1e-10, "1e-10"},
		{123456789.125, "123456789.125"},
		{0.0, "0"},
		{-0.0, "-0"},
		{-2.25, "-2.25"},
		{5e-324, "5e-324"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{9007199254740993.0, "9007199254740992"},
		{2.2250738585072014e-308, "2.2250738585072014e-308"},
		{123e100, "1.23e+102"},
		{0.000123, "0.000123"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autoptr(GString) s = g_string_new(NULL);
		g_assert_true(rc_wire_json_append_double(s, t[i].v));
		g_assert_cmpstr(s->str, ==, t[i].want);
	}
	{
		g_autoptr(GString) s = g_string_new(NULL);
		g_assert_false(rc_wire_json_append_double(s, NAN));
		g_assert_false(rc_wire_json_append_double(s, INFINITY));
		g_assert_cmpuint(s->len, ==, 0);
	}
}

/* Every double we print parses back to itself (shortest round trip). */
static void
test_float_round_trips(void)
{
	g_autoptr(GRand) r = g_rand_new_with_seed(42);

	for (int i = 0; i < 20000; i++) {
		g_autoptr(GString) s = g_string_new(NULL);
		guint64 bits = ((guint64)g_rand_int(r) << 32) | g_rand_int(r);
		double v;
		memcpy(&v, &bits, sizeof(v));
		if (isnan(v) || isinf(v))
			continue;
		g_assert_true(rc_wire_json_append_double(s, v));
		g_assert_cmpfloat(g_ascii_strtod(s->str, NULL), ==, v);
	}
}

static void
test_string_go_escaping(void)
{
	g_autoptr(GString) s = g_string_new(NULL);

	rc_wire_json_append_string(s, "a\"b\\c\nd\re\tf\x01g\x08h\x0c<>&/\x7f\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9");
	g_assert_cmpstr(s->str, ==,
			"\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u0008h\\u000c\\u003c\\u003e\\u0026/\x7f"
			"\\u2028\\u2029\xc3\xa9\"");
	g_string_truncate(s, 0);
	/* invalid UTF-8: each bad byte becomes \ufffd */
	rc_wire_json_append_string(s, "x\xff\xc3y\xed\xa0\x80");
	g_assert_cmpstr(s->str, ==, "\"x\\ufffd\\ufffdy\\ufffd\\ufffd\\ufffd\"");
}

/* ------------------------------------------------------------ routing update decoding */

static RcRoutingUpdate *
decode_str(const char *json, GError **error)
{
	return rc_routing_update_decode((const guint8 *)json, strlen(json), error);
}

static void
test_route_epoch_exact(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRoutingUpdate) ru =
		decode_str("{\"NodeID\":\"a\",\"UpdateEpoch\":18446744073709551614,"
			   "\"UpdateSequence\":9007199254740993,\"SuspectedDuplicate\":9223372036854775808}",
			   &error);

	g_assert_no_error(error);
	g_assert_cmpuint(ru->epoch, ==, G_GUINT64_CONSTANT(18446744073709551614));
	g_assert_cmpuint(ru->sequence, ==, G_GUINT64_CONSTANT(9007199254740993));
	g_assert_cmpuint(ru->suspected_duplicate, ==, G_GUINT64_CONSTANT(9223372036854775808));
	g_assert_true(ru->connections_null);
	g_assert_cmpstr(ru->forwarding_node, ==, "");
}

static void
test_route_rejects_bad_integers(void)
{
	static const char *const bad[] = {
		"{\"UpdateEpoch\":1.0}",
		"{\"UpdateEpoch\":1e3}",
		"{\"UpdateSequence\":-1}",
		"{\"UpdateSequence\":-0}",
		"{\"SuspectedDuplicate\":-9223372036854775809}",
		"{\"UpdateEpoch\":1}[]",
		"1[]",
		"nullx",
		"{\"UpdateEpoch\":18446744073709551616}",
		"{\"UpdateEpoch\":99999999999999999999999}",
		"{\"UpdateEpoch\":\"1\"}",
		"{\"NodeID\":5}",
		"{\"Connections\":[]}",
		"{\"Connections\":{\"a\":\"1\"}}",
		"{\"Connections\":{\"a\":1e400}}",
		"[]",
		"",
		"{",
		"{\"NodeID\":\"a\"}x",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcRoutingUpdate) ru = decode_str(bad[i], &error);
		g_assert_null(ru);
		g_assert_error(error, RC_ERROR, RC_ERROR_PROTOCOL);
	}
}

static void
test_route_liberal_keys(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRoutingUpdate) ru = decode_str(
		"{\"nodeid\":\"a\",\"UPDATEID\":\"x\",\"Extra\":[1,{\"y\":null}],\"forwardingNode\":\"b\","
		"\"Connections\":{\"c\":0.1,\"C\":2,\"d\":null},\"NodeID\":\"z\"}",
		&error);
	double c = 0;

	g_assert_no_error(error);
	/* last member mapping to a field wins */
	g_assert_cmpstr(ru->node_id, ==, "z");
	g_assert_cmpstr(ru->update_id, ==, "x");
	g_assert_cmpstr(ru->forwarding_node, ==, "b");
	/* map keys are not case-folded */
	g_assert_cmpuint(g_hash_table_size(ru->connections), ==, 3);
	g_assert_true(rc_routing_update_get_connection(ru, "c", &c));
	g_assert_cmpfloat(c, ==, 0.1);
	g_assert_true(rc_routing_update_get_connection(ru, "C", &c));
	g_assert_cmpfloat(c, ==, 2.0);
	g_assert_true(rc_routing_update_get_connection(ru, "d", &c));
	g_assert_cmpfloat(c, ==, 0.0);
}

/* Go writes costs below 1e21 without exponent, so large integer literals,
 * negative ones and -0 must come out as the same float64 (wire.md 3.1, 3.4). */
static void
test_route_integer_literal_costs(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRoutingUpdate) ru = decode_str(
		"{\"Connections\":{\"big\":803050589368980500000,\"max\":18446744073709551615,"
		"\"neg\":-5,\"nz\":-0,\"e\":1e+21},\"UpdateEpoch\":18446744073709551615}",
		&error);
	g_autoptr(GBytes) enc = NULL;
	double c = 0;
	static const char want[] = "\x01{\"NodeID\":\"\",\"UpdateID\":\"\",\"UpdateEpoch\":"
				   "18446744073709551615,\"UpdateSequence\":0,\"Connections\":{\"big\":"
				   "803050589368980500000,\"e\":1e+21,\"max\":18446744073709552000,"
				   "\"neg\":-5,\"nz\":-0},\"ForwardingNode\":\"\",\"SuspectedDuplicate\":0}";

	g_assert_no_error(error);
	g_assert_cmpuint(ru->epoch, ==, G_MAXUINT64);
	g_assert_true(rc_routing_update_get_connection(ru, "big", &c));
	g_assert_cmpfloat(c, ==, 803050589368980500000.0);
	g_assert_true(rc_routing_update_get_connection(ru, "neg", &c));
	g_assert_cmpfloat(c, ==, -5.0);
	g_assert_true(rc_routing_update_get_connection(ru, "nz", &c));
	g_assert_true(signbit(c));
	enc = rc_routing_update_encode(ru);
	g_assert_cmpmem(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc), want, sizeof(want) - 1);
}

static void
test_route_null_connections_reflooded_as_null(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRoutingUpdate) ru =
		decode_str("{\"NodeID\":\"a\",\"Connections\":null,\"ForwardingNode\":\"a\"}", &error);
	g_autoptr(GBytes) enc = NULL;
	static const char want[] = "\x01{\"NodeID\":\"a\",\"UpdateID\":\"\",\"UpdateEpoch\":0,"
				   "\"UpdateSequence\":0,\"Connections\":null,\"ForwardingNode\":\"a\","
				   "\"SuspectedDuplicate\":0}";

	g_assert_no_error(error);
	g_assert_true(ru->connections_null);
	enc = rc_routing_update_encode(ru);
	g_assert_cmpmem(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc), want, sizeof(want) - 1);
}

static void
test_route_nan_cost_not_encoded(void)
{
	g_autoptr(RcRoutingUpdate) ru = rc_routing_update_new();
	g_autoptr(GBytes) enc = NULL;

	rc_routing_update_set_connection(ru, "x", NAN);
	enc = rc_routing_update_encode(ru);
	g_assert_null(enc);
}

static void
test_route_deep_nesting_refused(void)
{
	g_autoptr(GString) s = g_string_new("{\"Extra\":");
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRoutingUpdate) ru = NULL;

	for (int i = 0; i < 100000; i++)
		g_string_append_c(s, '[');
	ru = decode_str(s->str, &error);
	g_assert_null(ru);
	g_assert_error(error, RC_ERROR, RC_ERROR_PROTOCOL);
}

static void
test_route_invalid_utf8_replaced(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRoutingUpdate) ru = decode_str("{\"NodeID\":\"a\xff\"}", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(ru->node_id, ==, "a\xef\xbf\xbd");
}

/* ------------------------------------------------------------ service ads, unreachable */

static void
test_servicead_without_fields_refused(void)
{
	static const char *const bad[] = {"{}", "{\"Cancel\":true}", "null",
					  "{\"ConnType\":256}", "{\"ConnType\":1.5}",
					  "{\"Time\":\"2024-10-24 20:40:00Z\"}",
					  "{\"Tags\":{\"a\":1}}", "{\"WorkCommands\":{}}"};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcServiceAd) ad =
			rc_service_ad_decode((const guint8 *)bad[i], strlen(bad[i]), &error);
		g_assert_null(ad);
		g_assert_error(error, RC_ERROR, RC_ERROR_PROTOCOL);
	}
}

static void
test_servicead_tags_sorted_and_escaped(void)
{
	g_autoptr(RcServiceAd) ad = rc_service_ad_new();
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcServiceAd) back = NULL;
	static const char want[] = "\x02{\"NodeID\":\"n\",\"Service\":\"s\",\"Time\":"
				   "\"2024-10-24T16:40:00.5-04:00\",\"ConnType\":0,\"Tags\":{\"address\":"
				   "\"\\u003chost\\u003e:1\",\"type\":\"TCP Proxy\"},\"WorkCommands\":[],"
				   "\"Cancel\":false}";
	static const char t[] = "2024-10-24T16:40:00.500-04:00";

	g_free(ad->node_id);
	ad->node_id = g_strdup("n");
	g_free(ad->service);
	ad->service = g_strdup("s");
	g_assert_true(rc_wire_time_parse(t, strlen(t), &ad->time));
	rc_service_ad_set_tag(ad, "type", "TCP Proxy");
	rc_service_ad_set_tag(ad, "address", "<host>:1");
	ad->work_commands = g_ptr_array_new();
	enc = rc_service_ad_encode(ad);
	g_assert_cmpmem(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc), want, sizeof(want) - 1);

	back = rc_service_ad_decode((const guint8 *)want + 1, sizeof(want) - 2, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_hash_table_lookup(back->tags, "address"), ==, "<host>:1");
	g_assert_nonnull(back->work_commands);
	g_assert_cmpuint(back->work_commands->len, ==, 0);
	g_assert_cmpint(rc_wire_time_compare(&back->time, &ad->time), ==, 0);
}

static void
test_time_parse_format(void)
{
	static const struct {
		const char *in, *out;
		gint64 unix_s;
	} ok[] = {
		{"2024-10-24T20:41:00Z", "2024-10-24T20:41:00Z", 1729802460},
		{"2024-10-24T16:40:00.5-04:00", "2024-10-24T16:40:00.5-04:00", 1729802400},
		{"2024-10-24T20:40:00.123456789123Z", "2024-10-24T20:40:00.123456789Z", 1729802400},
		{"2024-10-24T20:40:00+00:00", "2024-10-24T20:40:00Z", 1729802400},
		{"1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 0},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", G_GINT64_CONSTANT(-62135596800)},
		{"2000-02-29T23:59:59+05:30", "2000-02-29T23:59:59+05:30", 951848999},
	};
	static const char *const bad[] = {
		"2024-10-24t20:41:00Z", "2024-10-24T20:41:00", "2024-10-24T20:41:00z",
		"2024-13-24T20:41:00Z", "2023-02-29T20:41:00Z", "2024-10-24T24:00:00Z",
		"2024-10-24T20:41:60Z", "2024-10-24T20:41:00.Z", "2024-10-24T20:41:00+0400",
		"24-10-24T20:41:00Z", "2024-10-24T20:41:00Zjunk",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		RcWireTime t;
		g_autoptr(GString) s = g_string_new(NULL);
		g_assert_true(rc_wire_time_parse(ok[i].in, strlen(ok[i].in), &t));
		g_assert_cmpint(t.unix_s, ==, ok[i].unix_s);
		g_assert_true(rc_wire_time_append(s, &t));
		g_assert_cmpstr(s->str, ==, ok[i].out);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		RcWireTime t;
		g_assert_false(rc_wire_time_parse(bad[i], strlen(bad[i]), &t));
	}
}

static void
test_unreachable_roundtrip(void)
{
	g_autoptr(RcUnreachable) u =
		rc_unreachable_new("foo", "fish", "Xy7Qa1Bz", "ping", RC_PROBLEM_EXPIRED);
	g_autoptr(GBytes) enc = rc_unreachable_encode(u);
	static const char want[] = "{\"FromNode\":\"foo\",\"ToNode\":\"fish\",\"FromService\":"
				   "\"Xy7Qa1Bz\",\"ToService\":\"ping\",\"Problem\":\"message expired\"}";
	g_autoptr(GError) error = NULL;
	g_autoptr(RcUnreachable) bad = rc_unreachable_decode((const guint8 *)"{\"Problem\":1}", 13,
							     &error);

	g_assert_cmpmem(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc), want, sizeof(want) - 1);
	g_assert_null(bad);
	g_assert_error(error, RC_ERROR, RC_ERROR_PROTOCOL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/wire/hash/zero-key-vectors-match-spec", test_hash_vectors);
	g_test_add_func("/wire/hash/written-big-endian-in-header", test_hash_in_header_big_endian);
	g_test_add_func("/wire/service/nul-padded-fixed-field", test_service_fixed);
	g_test_add_func("/wire/golden/data-messages-decode-and-reencode", test_golden_data);
	g_test_add_func("/wire/golden/routing-updates-decode-and-reencode", test_golden_route);
	g_test_add_func("/wire/golden/service-ads-decode-and-reencode", test_golden_servicead);
	g_test_add_func("/wire/golden/reject-is-three-bytes", test_golden_reject);
	g_test_add_func("/wire/route/encode-from-fields-matches-spec", test_route_encode_from_fields);
	g_test_add_func("/wire/servicead/encode-from-fields-matches-spec",
			test_servicead_encode_from_fields);
	g_test_add_func("/wire/data/short-message-gives-spec-text", test_data_too_short);
	g_test_add_func("/wire/data/reserved-bytes-ignored", test_data_reserved_ignored);
	g_test_add_func("/wire/json/floats-formatted-like-go", test_float_go_format);
	g_test_add_func("/wire/json/floats-round-trip", test_float_round_trips);
	g_test_add_func("/wire/json/strings-escaped-like-go", test_string_go_escaping);
	g_test_add_func("/wire/route/uint64-fields-never-through-double", test_route_epoch_exact);
	g_test_add_func("/wire/route/malformed-bodies-refused", test_route_rejects_bad_integers);
	g_test_add_func("/wire/route/keys-case-insensitive-unknown-ignored", test_route_liberal_keys);
	g_test_add_func("/wire/route/integer-literal-costs-read-as-go-does",
			test_route_integer_literal_costs);
	g_test_add_func("/wire/route/null-connections-reencoded-as-null",
			test_route_null_connections_reflooded_as_null);
	g_test_add_func("/wire/route/nan-cost-is-not-encoded", test_route_nan_cost_not_encoded);
	g_test_add_func("/wire/route/deep-nesting-refused", test_route_deep_nesting_refused);
	g_test_add_func("/wire/route/invalid-utf8-becomes-replacement-char",
			test_route_invalid_utf8_replaced);
	g_test_add_func("/wire/servicead/malformed-bodies-refused",
			test_servicead_without_fields_refused);
	g_test_add_func("/wire/servicead/tags-sorted-and-html-escaped",
			test_servicead_tags_sorted_and_escaped);
	g_test_add_func("/wire/time/rfc3339-parse-and-go-format", test_time_parse_format);
	g_test_add_func("/wire/unreachable/encode-and-refuse-wrong-types", test_unreachable_roundtrip);

	return g_test_run();
}
