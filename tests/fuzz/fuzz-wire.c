/* fuzz-wire.c: the Netceptor message decoders (wire.md 2): data header, routing
 * update, service advertisement, unreachable payload. The input is one whole
 * Netceptor message; its first byte picks the decoder. Whatever decodes must
 * re-encode and decode again to the same fields. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "rc-wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_route(const guint8 *body, gsize len)
{
	g_autoptr(RcRoutingUpdate) ru = rc_routing_update_decode(body, len, NULL);
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(RcRoutingUpdate) again = NULL;
	g_autoptr(GBytes) enc2 = NULL;
	gsize n;
	const guint8 *b;

	if (ru == NULL)
		return;
	enc = rc_routing_update_encode(ru);
	if (enc == NULL)
		return;
	b = g_bytes_get_data(enc, &n);
	g_assert_cmpuint(b[0], ==, RC_MSG_ROUTE);
	again = rc_routing_update_decode(b + 1, n - 1, NULL);
	g_assert_nonnull(again);
	g_assert_cmpuint(again->epoch, ==, ru->epoch);
	g_assert_cmpuint(again->sequence, ==, ru->sequence);
	g_assert_cmpuint(again->suspected_duplicate, ==, ru->suspected_duplicate);
	g_assert_cmpuint(g_hash_table_size(again->connections), ==,
			 g_hash_table_size(ru->connections));
	/* our own output is a fixed point after one round (json-glib reads the
	 * literal -0 as integer 0, so "-0" may become "0" once) */
	enc2 = rc_routing_update_encode(again);
	g_assert_nonnull(enc2);
	{
		g_autoptr(RcRoutingUpdate) third = NULL;
		g_autoptr(GBytes) enc3 = NULL;
		b = g_bytes_get_data(enc2, &n);
		third = rc_routing_update_decode(b + 1, n - 1, NULL);
		g_assert_nonnull(third);
		enc3 = rc_routing_update_encode(third);
		g_assert_true(g_bytes_equal(enc2, enc3));
	}
}

static void
check_service_ad(const guint8 *body, gsize len)
{
	g_autoptr(RcServiceAd) ad = rc_service_ad_decode(body, len, NULL);
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(RcServiceAd) again = NULL;
	g_autoptr(GBytes) enc2 = NULL;
	gsize n;
	const guint8 *b;

	if (ad == NULL)
		return;
	enc = rc_service_ad_encode(ad);
	if (enc == NULL)
		return; /* year outside 0000-9999 */
	b = g_bytes_get_data(enc, &n);
	again = rc_service_ad_decode(b + 1, n - 1, NULL);
	g_assert_nonnull(again);
	g_assert_cmpint(rc_wire_time_compare(&again->time, &ad->time), ==, 0);
	g_assert_cmpuint(again->conn_type, ==, ad->conn_type);
	enc2 = rc_service_ad_encode(again);
	g_assert_true(g_bytes_equal(enc, enc2));
}

static void
check_unreachable(const guint8 *payload, gsize len)
{
	g_autoptr(RcUnreachable) u = rc_unreachable_decode(payload, len, NULL);
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(RcUnreachable) again = NULL;
	gsize n;
	const guint8 *b;

	if (u == NULL)
		return;
	enc = rc_unreachable_encode(u);
	b = g_bytes_get_data(enc, &n);
	again = rc_unreachable_decode(b, n, NULL);
	g_assert_nonnull(again);
	g_assert_cmpstr(again->problem, ==, u->problem);
	g_assert_cmpstr(again->from_node, ==, u->from_node);
}

static void
check_data(const guint8 *msg, gsize len)
{
	RcDataHeader h;
	g_autoptr(GBytes) enc = NULL;

	if (rc_wire_decode_data(msg, len, &h) != RC_WIRE_OK)
		return;
	/* services with interior NULs do not round-trip through C strings */
	if (strlen(h.from_service) == rc_wire_service_fixed_len(msg + 20) &&
	    strlen(h.to_service) == rc_wire_service_fixed_len(msg + 28)) {
		const guint8 *b;
		enc = rc_wire_encode_data(h.hops_to_live, h.from_node, h.to_node, h.from_service,
					  h.to_service, h.payload, h.payload_len);
		b = g_bytes_get_data(enc, NULL);
		g_assert_cmpuint(g_bytes_get_size(enc), ==, len);
		/* equal except the reserved bytes, re-written as 00 00 (wire.md 2.1) */
		g_assert_cmpmem(b + 4, len - 4, msg + 4, len - 4);
	}
	if (strcmp(h.to_service, "unreach") == 0)
		check_unreachable(h.payload, h.payload_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RcWireTime t;

	if (size == 0) {
		RcDataHeader h;
		g_assert_cmpint(rc_wire_decode_data(data, 0, &h), ==, RC_WIRE_EMPTY);
		return 0;
	}
	switch (data[0]) {
	case RC_MSG_DATA:
		check_data(data, size);
		break;
	case RC_MSG_ROUTE:
		check_route(data + 1, size - 1);
		break;
	case RC_MSG_SERVICE_AD:
		check_service_ad(data + 1, size - 1);
		break;
	default:
		/* anything else: the unreachable payload decoder and the time parser */
		check_unreachable(data + 1, size - 1);
		if (rc_wire_time_parse((const char *)data + 1, size - 1, &t)) {
			g_autoptr(GString) s = g_string_new(NULL);
			(void)rc_wire_time_append(s, &t);
		}
		break;
	}
	return 0;
}
