/* fuzz-udp.c: the UDP backend's datagram and address decoders (wire.md 9.5).
 * Input: byte 0 selects the decoder, the rest is its input. */
#include <stdint.h>
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "udp-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = NULL;
	g_autofree char *host = NULL;
	g_autoptr(GInetAddress) bind = NULL;
	guint16 port = 0;
	gboolean dual = FALSE;

	if (size < 1)
		return 0;
	/* datagram classification, as a new and as an existing session */
	(void)udp_datagram_classify(data + 1, size - 1, TRUE);
	(void)udp_datagram_classify(data + 1, size - 1, FALSE);
	(void)udp_datagram_verdict_text(udp_datagram_check_send(size - 1));
	/* configuration text: udp-peer address and udp-listener bindaddr */
	text = g_strndup((const char *)data + 1, size - 1);
	if (udp_split_host_port(text, &host, &port, NULL))
		g_assert_nonnull(host);
	bind = udp_parse_bind_address(text, &dual, NULL);
	/* source-address keys of 16 raw address bytes */
	if (size >= 19) {
		g_autoptr(GInetAddress) inet = g_inet_address_new_from_bytes(
			data + 1, data[0] & 1 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
		g_autoptr(GSocketAddress) address =
			g_inet_socket_address_new(inet, (guint16)(data[17] << 8 | data[18]));
		g_autofree char *key = udp_address_key(address);

		g_assert_nonnull(strchr(key, ':'));
	}
	return 0;
}
