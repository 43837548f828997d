/* test-backend-udp.c: pure logic of the UDP backend (wire.md 9.5). */
#include <gio/gio.h>
#include <glib.h>

#include "udp-common.h"
#include "udp-peer.h"

static void
test_new_session_needs_routing_update(void)
{
	static const guint8 hello[] = { 0x01, '{', '"', '}' };
	static const guint8 data[] = { 0x00, 0x1e, 0x00, 0x00 };
	static const guint8 reject[] = { 0x03, '[', ']' };
	static const guint8 garbage[] = { 'G', 'E', 'T', ' ' };
	static const guint8 short_ru[] = { 0x01, '{' };

	g_assert_cmpint(udp_datagram_classify(hello, sizeof(hello), TRUE), ==, UDP_DATAGRAM_OK);
	g_assert_cmpint(udp_datagram_classify(data, sizeof(data), TRUE), ==,
			UDP_DATAGRAM_NOT_HELLO);
	g_assert_cmpint(udp_datagram_classify(reject, sizeof(reject), TRUE), ==,
			UDP_DATAGRAM_NOT_HELLO);
	g_assert_cmpint(udp_datagram_classify(garbage, sizeof(garbage), TRUE), ==,
			UDP_DATAGRAM_BAD_TYPE);
	g_assert_cmpint(udp_datagram_classify(short_ru, sizeof(short_ru), TRUE), ==,
			UDP_DATAGRAM_NOT_HELLO);
}

static void
test_established_session_passes_everything_but_empty(void)
{
	static const guint8 data[] = { 0x00, 0x1e };
	static const guint8 unknown[] = { 0x09 };

	g_assert_cmpint(udp_datagram_classify(data, sizeof(data), FALSE), ==, UDP_DATAGRAM_OK);
	/* the core logs "Unknown message type" itself (wire.md 5.4) */
	g_assert_cmpint(udp_datagram_classify(unknown, sizeof(unknown), FALSE), ==,
			UDP_DATAGRAM_OK);
	g_assert_cmpint(udp_datagram_classify(data, 0, FALSE), ==, UDP_DATAGRAM_EMPTY);
	g_assert_cmpint(udp_datagram_classify(data, 0, TRUE), ==, UDP_DATAGRAM_EMPTY);
}

static void
test_send_limit_is_go_udp_max_packet_len(void)
{
	g_assert_cmpint(udp_datagram_check_send(1), ==, UDP_DATAGRAM_OK);
	g_assert_cmpint(udp_datagram_check_send(65507), ==, UDP_DATAGRAM_OK);
	g_assert_cmpint(udp_datagram_check_send(65508), ==, UDP_DATAGRAM_TOO_LARGE);
	g_assert_cmpint(udp_datagram_check_send(0), ==, UDP_DATAGRAM_EMPTY);
	g_assert_cmpstr(udp_datagram_verdict_text(UDP_DATAGRAM_TOO_LARGE), ==, "data too large");
}

static char *
key_of(const char *ip, guint16 port)
{
	g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(ip);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(inet, port);

	return udp_address_key(address);
}

static void
test_address_keys_print_like_go(void)
{
	g_autofree char *v4 = key_of("127.0.0.1", 2222);
	g_autofree char *v6 = key_of("::1", 2222);
	g_autofree char *mapped = key_of("::ffff:10.1.2.3", 40000);

	g_assert_cmpstr(v4, ==, "127.0.0.1:2222");
	g_assert_cmpstr(v6, ==, "[::1]:2222");
	g_assert_cmpstr(mapped, ==, "10.1.2.3:40000");
}

static void
test_split_host_port_errors_read_like_go(void)
{
	struct {
		const char *in;
		const char *host;
		guint port;
		const char *error;
	} cases[] = {
		{ "localhost:2222", "localhost", 2222, NULL },
		{ "[::1]:2222", "::1", 2222, NULL },
		{ ":2222", "", 2222, NULL },
		{ "foo", NULL, 0, "address foo: missing port in address" },
		{ "a:b:c", NULL, 0, "address a:b:c: too many colons in address" },
		{ "[::1]", NULL, 0, "address [::1]: missing port in address" },
		{ "[::1:2222", NULL, 0, "address [::1:2222: missing ']' in address" },
		{ "host:99999", NULL, 0, "address host:99999: invalid port" },
		{ "host:", NULL, 0, "address host:: invalid port" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *host = NULL;
		guint16 port = 0;
		gboolean ok = udp_split_host_port(cases[i].in, &host, &port, &error);

		if (cases[i].error == NULL) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpstr(host, ==, cases[i].host);
			g_assert_cmpuint(port, ==, cases[i].port);
		} else {
			g_assert_false(ok);
			g_assert_cmpstr(error->message, ==, cases[i].error);
		}
	}
}

static void
test_bind_address_forms(void)
{
	gboolean dual = FALSE;
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) any = udp_parse_bind_address("0.0.0.0", &dual, &error);
	g_autoptr(GInetAddress) v6 = NULL;
	g_autoptr(GInetAddress) bad = NULL;
	g_autofree char *v6_text = NULL;

	g_assert_nonnull(any);
	g_assert_true(dual);
	v6 = udp_parse_bind_address("[::1]", &dual, &error);
	g_assert_nonnull(v6);
	g_assert_false(dual);
	v6_text = g_inet_address_to_string(v6);
	g_assert_cmpstr(v6_text, ==, "::1");
	bad = udp_parse_bind_address("not an address", &dual, &error);
	g_assert_null(bad);
	g_assert_cmpstr(error->message, ==, "bind address not an address is not an IP address");
}

static void
test_costs_must_be_positive(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) good = NULL;
	g_autoptr(GVariant) zero = NULL;
	g_autoptr(GVariant) node = NULL;

	good = g_variant_ref_sink(g_variant_new_parsed("{'cost': <1.5>, 'nodecost': <{'b': 2.0}>}"));
	zero = g_variant_ref_sink(g_variant_new_parsed("{'cost': <0.0>}"));
	node = g_variant_ref_sink(
		g_variant_new_parsed("{'cost': <1.0>, 'nodecost': <{'b': -1.0}>}"));
	g_assert_true(udp_check_costs(good, &error));
	g_assert_no_error(error);
	g_assert_false(udp_check_costs(zero, &error));
	g_assert_cmpstr(error->message, ==, "connection cost must be positive");
	g_clear_error(&error);
	g_assert_false(udp_check_costs(node, &error));
	g_assert_cmpstr(error->message, ==, "connection cost must be positive for b");
}

static void
test_redial_delay_sequence(void)
{
	/* wire.md 9.2: 5, 7.5, 11.25, 16.875, 20, 20 */
	double d = UDP_REDIAL_INITIAL_S;

	g_assert_cmpfloat(d, ==, 5.0);
	d = udp_peer_next_delay(d);
	g_assert_cmpfloat(d, ==, 7.5);
	d = udp_peer_next_delay(d);
	g_assert_cmpfloat(d, ==, 11.25);
	d = udp_peer_next_delay(d);
	g_assert_cmpfloat(d, ==, 16.875);
	d = udp_peer_next_delay(d);
	g_assert_cmpfloat(d, ==, 20.0);
	d = udp_peer_next_delay(d);
	g_assert_cmpfloat(d, ==, 20.0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/backend-udp/datagram/new-session-needs-routing-update",
			test_new_session_needs_routing_update);
	g_test_add_func("/backend-udp/datagram/established-session-passes-everything-but-empty",
			test_established_session_passes_everything_but_empty);
	g_test_add_func("/backend-udp/datagram/send-limit-is-go-udp-max-packet-len",
			test_send_limit_is_go_udp_max_packet_len);
	g_test_add_func("/backend-udp/address/keys-print-like-go", test_address_keys_print_like_go);
	g_test_add_func("/backend-udp/address/split-host-port-errors-read-like-go",
			test_split_host_port_errors_read_like_go);
	g_test_add_func("/backend-udp/address/bind-address-forms", test_bind_address_forms);
	g_test_add_func("/backend-udp/config/costs-must-be-positive", test_costs_must_be_positive);
	g_test_add_func("/backend-udp/peer/redial-delay-sequence", test_redial_delay_sequence);
	return g_test_run();
}
