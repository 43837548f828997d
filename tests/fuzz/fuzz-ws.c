/* fuzz-ws.c: the websocket backend's decoders (wire.md 9.6): the server's
 * judgement of an upgrade request, the client's check of the response, the
 * ws-peer address, extra header and proxy variables, and libsoup's frame decoder as the link
 * uses it (bytes fed to a SoupWebsocketConnection over memory streams).
 * Input: byte 0 selects options, the rest is the input. */
#include <stdint.h>
#include <string.h>

#include <gio/gio.h>
#include <glib.h>
#include <libsoup/soup.h>

#include "ws-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
	guint *messages = user_data;

	(*messages)++;
}

/* Feed `data` as received frames; stop when libsoup closes the connection. */
static void
feed_frames(const guint8 *data, gsize size, gboolean client)
{
	g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data(data, (gssize)size, NULL);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(GIOStream) io = g_simple_io_stream_new(in, out);
	g_autoptr(SoupWebsocketConnection) conn = NULL;
	g_autoptr(GUri) uri = g_uri_build(G_URI_FLAGS_NONE, "ws", NULL, "localhost", -1, "/",
					  NULL, NULL);
	guint messages = 0;

	conn = soup_websocket_connection_new(io, uri,
					     client ? SOUP_WEBSOCKET_CONNECTION_CLIENT
						    : SOUP_WEBSOCKET_CONNECTION_SERVER,
					     NULL, NULL, NULL);
	soup_websocket_connection_set_max_incoming_payload_size(conn, WS_MAX_MESSAGE);
	g_signal_connect(conn, "message", G_CALLBACK(count_message), &messages);
	for (guint i = 0; i < 10000; i++) {
		if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_CLOSED)
			break;
		if (!g_main_context_iteration(NULL, FALSE))
			break;
	}
	g_signal_handlers_disconnect_by_data(conn, &messages);
	/* let the asynchronous close finish */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	WsServerVerdict verdict;
	g_autofree char *text = NULL;
	g_autofree char *response = NULL;
	g_autofree char *name = NULL;
	g_autofree char *value = NULL;
	g_autoptr(WsUrl) url = NULL;
	const guint8 *body;
	gsize len;

	if (size < 1)
		return 0;
	body = data + 1;
	len = size - 1;
	switch (data[0] & 3) {
	case 0:
		ws_server_check_request(body, len, (data[0] & 4) ? "/mesh/" : "/", &verdict);
		response = ws_server_build_response(&verdict, "/");
		g_assert_nonnull(response);
		ws_server_verdict_clear(&verdict);
		break;
	case 1:
		(void)ws_check_response(body, len, "dGhlIHNhbXBsZSBub25jZQ==", NULL);
		(void)ws_head_end(body, len);
		break;
	case 2:
		text = g_strndup((const char *)body, len);
		url = ws_url_parse(text, NULL);
		if (url != NULL) {
			g_autofree char *request = ws_build_request(url, "k", NULL, NULL);

			g_assert_nonnull(request);
		}
		if (ws_parse_extra_header(text, &name, &value, NULL))
			g_assert_null(strpbrk(name, "\r\n"));
		/* proxy variables: the text as HTTP(S)_PROXY and as NO_PROXY */
		{
			g_autoptr(WsUrl) target = ws_url_parse("ws://mesh.example:8080/", NULL);
			g_autoptr(WsProxy) proxy = NULL;
			g_autoptr(WsProxy) proxy2 = NULL;

			if (ws_proxy_from_env(target, text, text, NULL, &proxy, NULL) &&
			    proxy != NULL) {
				g_autofree char *connect = ws_build_connect(target, proxy);

				g_assert_nonnull(connect);
			}
			(void)ws_proxy_from_env(target, "http://p:1", NULL, text, &proxy2, NULL);
		}
		(void)ws_check_connect_response(body, len, NULL);
		break;
	case 3:
	default:
		feed_frames(body, len, (data[0] & 4) != 0);
		break;
	}
	return 0;
}
