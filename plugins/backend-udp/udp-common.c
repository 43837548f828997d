/* udp-common.c: pure helpers of the UDP backend (wire.md 9.5). */
#include "udp-common.h"

#include <string.h>

UdpDatagramVerdict
udp_datagram_classify(const guint8 *data, gsize len, gboolean new_session)
{
	if (len == 0)
		return UDP_DATAGRAM_EMPTY;
	if (data[0] > UDP_NETCEPTOR_TYPE_MAX)
		return new_session ? UDP_DATAGRAM_BAD_TYPE : UDP_DATAGRAM_OK;
	if (new_session) {
		/* wire.md 5.2: a new peer's first datagrams are routing updates,
		 * type byte 1 followed by a JSON object. */
		if (data[0] != UDP_NETCEPTOR_ROUTING_UPDATE || len < 3 || data[1] != '{')
			return UDP_DATAGRAM_NOT_HELLO;
	}
	return UDP_DATAGRAM_OK;
}

UdpDatagramVerdict
udp_datagram_check_send(gsize len)
{
	if (len == 0)
		return UDP_DATAGRAM_EMPTY;
	if (len > UDP_MAX_PACKET_LEN)
		return UDP_DATAGRAM_TOO_LARGE;
	return UDP_DATAGRAM_OK;
}

const char *
udp_datagram_verdict_text(UdpDatagramVerdict verdict)
{
	switch (verdict) {
	case UDP_DATAGRAM_OK:
		return "ok";
	case UDP_DATAGRAM_EMPTY:
		return "empty datagram";
	case UDP_DATAGRAM_BAD_TYPE:
		return "not a Netceptor message";
	case UDP_DATAGRAM_NOT_HELLO:
		return "no session for this address and not a routing update";
	case UDP_DATAGRAM_TOO_LARGE:
		return "data too large";
	default:
		return "unknown";
	}
}

char *
udp_address_key(GSocketAddress *address)
{
	GInetAddress *inet;
	g_autofree char *text = NULL;
	guint16 port;

	if (address == NULL || !G_IS_INET_SOCKET_ADDRESS(address))
		return g_strdup("?");
	inet = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address));
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address));
	if (g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6) {
		const guint8 *b = g_inet_address_to_bytes(inet);
		static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(b, mapped, sizeof(mapped)) == 0)
			return g_strdup_printf("%u.%u.%u.%u:%u", b[12], b[13], b[14], b[15], port);
		text = g_inet_address_to_string(inet);
		return g_strdup_printf("[%s]:%u", text, port);
	}
	text = g_inet_address_to_string(inet);
	return g_strdup_printf("%s:%u", text, port);
}

GInetAddress *
udp_parse_bind_address(const char *bindaddr, gboolean *dual_stack, GError **error)
{
	g_autofree char *literal = NULL;
	gsize len;
	GInetAddress *address;

	*dual_stack = FALSE;
	if (bindaddr == NULL || bindaddr[0] == '\0' || g_strcmp0(bindaddr, "0.0.0.0") == 0) {
		*dual_stack = TRUE;
		return g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
	}
	if (g_ascii_strcasecmp(bindaddr, "localhost") == 0)
		return g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	len = strlen(bindaddr);
	if (len >= 2 && bindaddr[0] == '[' && bindaddr[len - 1] == ']')
		literal = g_strndup(bindaddr + 1, len - 2);
	else
		literal = g_strdup(bindaddr);
	address = g_inet_address_new_from_string(literal);
	if (address == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "bind address %s is not an IP address", bindaddr);
		return NULL;
	}
	return address;
}

gboolean
udp_split_host_port(const char *address, char **host, guint16 *port, GError **error)
{
	const char *colon;
	const char *port_text;
	g_autofree char *h = NULL;
	guint64 value = 0;

	if (address[0] == '[') {
		const char *end = strchr(address, ']');

		if (end == NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "address %s: missing ']' in address", address);
			return FALSE;
		}
		if (end[1] != ':') {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "address %s: %s", address,
				    end[1] != '\0' && strchr(end + 1, ':') != NULL
					    ? "too many colons in address"
					    : "missing port in address");
			return FALSE;
		}
		h = g_strndup(address + 1, (gsize)(end - address - 1));
		colon = end + 1;
	} else {
		colon = strrchr(address, ':');
		if (colon == NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "address %s: missing port in address", address);
			return FALSE;
		}
		if (strchr(address, ':') != colon) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "address %s: too many colons in address", address);
			return FALSE;
		}
		h = g_strndup(address, (gsize)(colon - address));
	}
	port_text = colon + 1;
	if (strchr(port_text, '[') != NULL || strchr(port_text, ']') != NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "address %s: unexpected bracket in address", address);
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(port_text, 10, 0, 65535, &value, NULL)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "address %s: invalid port", address);
		return FALSE;
	}
	*host = g_steal_pointer(&h);
	*port = (guint16)value;
	return TRUE;
}

gboolean
udp_check_costs(GVariant *params, GError **error)
{
	double cost = 1.0;
	g_autoptr(GVariant) nodecost = NULL;

	/* config.md 9.4: NaN passes both checks, as in Go */
	if (g_variant_lookup(params, "cost", "d", &cost) && cost <= 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "connection cost must be positive");
		return FALSE;
	}
	nodecost = g_variant_lookup_value(params, "nodecost", G_VARIANT_TYPE("a{sd}"));
	if (nodecost != NULL) {
		GVariantIter iter;
		const char *node;
		double value;

		g_variant_iter_init(&iter, nodecost);
		while (g_variant_iter_next(&iter, "{&sd}", &node, &value)) {
			if (value <= 0) {
				g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
					    "connection cost must be positive for %s", node);
				return FALSE;
			}
		}
	}
	return TRUE;
}

const char *
udp_param_string(GVariant *params, const char *name)
{
	const char *value = NULL;

	if (params == NULL || !g_variant_lookup(params, name, "&s", &value))
		return NULL;
	return value;
}

char *
udp_error_text(const GError *error)
{
	if (error->domain == G_IO_ERROR) {
		switch (error->code) {
		case G_IO_ERROR_CONNECTION_REFUSED:
			return g_strdup("connection refused");
		case G_IO_ERROR_ADDRESS_IN_USE:
			return g_strdup("address already in use");
		case G_IO_ERROR_PERMISSION_DENIED:
			return g_strdup("permission denied");
		case G_IO_ERROR_HOST_UNREACHABLE:
			return g_strdup("no route to host");
		case G_IO_ERROR_NETWORK_UNREACHABLE:
			return g_strdup("network is unreachable");
		case G_IO_ERROR_MESSAGE_TOO_LARGE:
			return g_strdup("message too long");
		default:
			break;
		}
	}
	return g_strdup(error->message);
}
