/* ws-common.c: pure logic of the websocket backend (wire.md 9.6). */
#include "ws-common.h"

#include <string.h>

void
ws_url_free(WsUrl *url)
{
	if (url == NULL)
		return;
	g_free(url->host);
	g_free(url->host_header);
	g_free(url->request_uri);
	g_free(url->origin);
	g_free(url);
}

WsUrl *
ws_url_parse(const char *address, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GUri) uri = NULL;
	g_autoptr(WsUrl) url = NULL;
	const char *scheme;
	const char *host;
	const char *path;
	const char *query;
	gint port;

	uri = g_uri_parse(address, G_URI_FLAGS_ENCODED, &local_error);
	if (uri == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "address %s is not a valid URL: %s",
			    address, local_error->message);
		return NULL;
	}
	scheme = g_uri_get_scheme(uri);
	host = g_uri_get_host(uri);
	/* wire.md 9.6: another scheme or user info is gorilla's "malformed ws or wss URL" */
	if (scheme == NULL ||
	    (g_ascii_strcasecmp(scheme, "ws") != 0 && g_ascii_strcasecmp(scheme, "wss") != 0) ||
	    g_uri_get_userinfo(uri) != NULL || host == NULL || host[0] == '\0') {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, "malformed ws or wss URL");
		return NULL;
	}
	url = g_new0(WsUrl, 1);
	url->tls = g_ascii_strcasecmp(scheme, "wss") == 0;
	url->host = g_strdup(host);
	port = g_uri_get_port(uri);
	/* no scheme normalisation: the Host header keeps the port only if written */
	url->port = (guint16)(port > 0 ? port : (url->tls ? 443 : 80));
	if (strchr(host, ':') != NULL)
		url->host_header = port > 0 ? g_strdup_printf("[%s]:%d", host, port)
					    : g_strdup_printf("[%s]", host);
	else
		url->host_header = port > 0 ? g_strdup_printf("%s:%d", host, port)
					    : g_strdup(host);
	path = g_uri_get_path(uri);
	query = g_uri_get_query(uri);
	url->request_uri = g_strdup_printf("%s%s%s", (path != NULL && path[0] != '\0') ? path : "/",
					   query != NULL ? "?" : "", query != NULL ? query : "");
	url->origin = g_strdup_printf("%s://%s", url->tls ? "https" : "http", url->host_header);
	return g_steal_pointer(&url);
}

static gboolean
ws_is_token_char(char c)
{
	/* RFC 7230 tchar, as Go's validHeaderFieldByte */
	return g_ascii_isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

char *
ws_canonical_header_name(const char *name)
{
	char *out = g_strdup(name);
	gboolean upper = TRUE;

	/* textproto.CanonicalMIMEHeaderKey: leave names with invalid bytes alone */
	for (const char *p = name; *p != '\0'; p++) {
		if (!ws_is_token_char(*p))
			return out;
	}
	for (char *p = out; *p != '\0'; p++) {
		*p = upper ? g_ascii_toupper(*p) : g_ascii_tolower(*p);
		upper = *p == '-';
	}
	return out;
}

gboolean
ws_parse_extra_header(const char *text, char **name, char **value, GError **error)
{
	static const char *const reserved[] = { "Upgrade", "Connection", "Sec-Websocket-Key",
						"Sec-Websocket-Version",
						"Sec-Websocket-Extensions", NULL };
	const char *colon = strchr(text, ':');
	g_autofree char *raw_name = NULL;
	g_autofree char *canonical = NULL;
	g_autofree char *v = NULL;

	if (colon == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "extra header must be in the form key:value");
		return FALSE;
	}
	raw_name = g_strndup(text, (gsize)(colon - text));
	canonical = ws_canonical_header_name(raw_name);
	for (guint i = 0; reserved[i] != NULL; i++) {
		if (g_strcmp0(canonical, reserved[i]) == 0) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "websocket: duplicate header not allowed: %s", canonical);
			return FALSE;
		}
	}
	/* an empty or non-token name, or a value with CR/LF, would corrupt the request */
	if (canonical[0] == '\0' || strpbrk(canonical, " \t\r\n") != NULL ||
	    strpbrk(colon + 1, "\r\n") != NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "invalid extra header %s", text);
		return FALSE;
	}
	v = g_strstrip(g_strdup(colon + 1));
	*name = g_steal_pointer(&canonical);
	*value = g_steal_pointer(&v);
	return TRUE;
}

char *
ws_accept_for_key(const char *key)
{
	g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	guint8 digest[20];
	gsize digest_len = sizeof(digest);

	g_checksum_update(sha1, (const guchar *)key, (gssize)strlen(key));
	g_checksum_update(sha1, (const guchar *)WS_ACCEPT_GUID, (gssize)strlen(WS_ACCEPT_GUID));
	g_checksum_get_digest(sha1, digest, &digest_len);
	return g_base64_encode(digest, digest_len);
}

char *
ws_new_key(void)
{
	guint8 raw[16];

	for (gsize i = 0; i < sizeof(raw); i += 4) {
		guint32 r = g_random_int();

		memcpy(raw + i, &r, 4);
	}
	return g_base64_encode(raw, sizeof(raw));
}

typedef struct {
	const char *name;
	const char *value;
	gsize order; /* ties keep insertion order (qsort is not stable) */
} WsHeader;

static int
ws_header_cmp(const void *a, const void *b)
{
	const WsHeader *x = a;
	const WsHeader *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

char *
ws_build_request(const WsUrl *url, const char *key, const char *extra_name,
		 const char *extra_value)
{
	GString *out = g_string_new(NULL);
	WsHeader headers[8];
	gsize n = 0;
	const char *host = url->host_header;

	/* Go writes Host and User-Agent first, then the other headers sorted by
	 * name; an extra "Host" replaces the Host line, an extra "Origin" is
	 * sent before the built-in one (wire.md 9.6). */
	if (extra_name != NULL && g_strcmp0(extra_name, "Host") == 0)
		host = extra_value;
	g_string_append_printf(out, "GET %s HTTP/1.1\r\nHost: %s\r\n", url->request_uri, host);
	g_string_append(out, "User-Agent: Go-http-client/1.1\r\n");
	headers[n++] = (WsHeader){ "Connection", "Upgrade", 0 };
	if (extra_name != NULL && g_strcmp0(extra_name, "Origin") == 0)
		headers[n++] = (WsHeader){ "Origin", extra_value, 0 };
	else if (extra_name != NULL && g_strcmp0(extra_name, "Host") != 0)
		headers[n++] = (WsHeader){ extra_name, extra_value, 0 };
	headers[n++] = (WsHeader){ "Origin", url->origin, 0 };
	headers[n++] = (WsHeader){ "Sec-WebSocket-Key", key, 0 };
	headers[n++] = (WsHeader){ "Sec-WebSocket-Version", "13", 0 };
	headers[n++] = (WsHeader){ "Upgrade", "websocket", 0 };
	for (gsize i = 0; i < n; i++)
		headers[i].order = i;
	qsort(headers, n, sizeof(WsHeader), ws_header_cmp);
	for (gsize i = 0; i < n; i++)
		g_string_append_printf(out, "%s: %s\r\n", headers[i].name, headers[i].value);
	g_string_append(out, "\r\n");
	return g_string_free(out, FALSE);
}

gsize
ws_head_end(const guint8 *data, gsize len)
{
	for (gsize i = 3; i < len; i++) {
		if (data[i] == '\n' && data[i - 1] == '\r' && data[i - 2] == '\n' &&
		    data[i - 3] == '\r')
			return i + 1;
	}
	return 0;
}

/* gorilla tokenListContainsValue: any comma-separated token of any header line
 * with this name equals `value`, ASCII case-insensitively. */
static gboolean
ws_header_has_token(SoupMessageHeaders *headers, const char *name, const char *value)
{
	const char *list = soup_message_headers_get_list(headers, name);

	return list != NULL && soup_header_contains(list, value);
}

gboolean
ws_check_response(const guint8 *head, gsize len, const char *key, GError **error)
{
	g_autoptr(SoupMessageHeaders) headers =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	guint status = 0;
	const char *accept;
	g_autofree char *expected = NULL;

	if (len > G_MAXINT ||
	    !soup_headers_parse_response((const char *)head, (int)len, headers, NULL, &status,
					 NULL) ||
	    status != SOUP_STATUS_SWITCHING_PROTOCOLS ||
	    !ws_header_has_token(headers, "Upgrade", "websocket") ||
	    !ws_header_has_token(headers, "Connection", "upgrade")) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL, "websocket: bad handshake");
		return FALSE;
	}
	accept = soup_message_headers_get_one(headers, "Sec-WebSocket-Accept");
	expected = ws_accept_for_key(key);
	if (accept == NULL || g_strcmp0(accept, expected) != 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL, "websocket: bad handshake");
		return FALSE;
	}
	return TRUE;
}

WsPathMatch
ws_path_match(const char *pattern, const char *path)
{
	gsize plen = strlen(pattern);

	if (plen > 0 && pattern[plen - 1] == '/') {
		if (g_str_has_prefix(path, pattern))
			return WS_PATH_MATCH;
		if (strlen(path) + 1 == plen && strncmp(path, pattern, plen - 1) == 0)
			return WS_PATH_REDIRECT;
		return WS_PATH_NOT_FOUND;
	}
	return g_strcmp0(pattern, path) == 0 ? WS_PATH_MATCH : WS_PATH_NOT_FOUND;
}

void
ws_server_verdict_clear(WsServerVerdict *verdict)
{
	g_clear_pointer(&verdict->reason, g_free);
	g_clear_pointer(&verdict->path, g_free);
	g_clear_pointer(&verdict->accept, g_free);
}

/* gorilla isValidChallengeKey: base64 (std) of exactly 16 bytes */
static gboolean
ws_valid_key(const char *key)
{
	if (key == NULL || strlen(key) != 24 || key[22] != '=' || key[23] != '=')
		return FALSE;
	for (gsize i = 0; i < 22; i++) {
		if (!g_ascii_isalnum(key[i]) && key[i] != '+' && key[i] != '/')
			return FALSE;
	}
	return TRUE;
}

/* gorilla checkSameOrigin: no Origin, or its host[:port] equals Host
 * (ASCII case-insensitive). */
static gboolean
ws_same_origin(SoupMessageHeaders *headers)
{
	const char *origin = soup_message_headers_get_one(headers, "Origin");
	const char *host = soup_message_headers_get_one(headers, "Host");
	g_autoptr(GUri) uri = NULL;
	g_autofree char *origin_host = NULL;
	const char *h;

	if (origin == NULL)
		return TRUE;
	uri = g_uri_parse(origin, G_URI_FLAGS_ENCODED, NULL);
	if (uri == NULL || host == NULL)
		return FALSE;
	h = g_uri_get_host(uri);
	if (h == NULL)
		h = "";
	if (strchr(h, ':') != NULL)
		origin_host = g_uri_get_port(uri) > 0
				      ? g_strdup_printf("[%s]:%d", h, g_uri_get_port(uri))
				      : g_strdup_printf("[%s]", h);
	else
		origin_host = g_uri_get_port(uri) > 0
				      ? g_strdup_printf("%s:%d", h, g_uri_get_port(uri))
				      : g_strdup(h);
	return g_ascii_strcasecmp(origin_host, host) == 0;
}

static void
ws_refuse(WsServerVerdict *verdict, guint status, gboolean gorilla, const char *reason)
{
	verdict->status = status;
	verdict->gorilla = gorilla;
	verdict->reason = g_strdup(reason);
}

void
ws_server_check_request(const guint8 *head, gsize len, const char *pattern,
			WsServerVerdict *verdict)
{
	static const char bad[] = "websocket: the client is not using the websocket protocol: ";
	g_autoptr(SoupMessageHeaders) headers =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	g_autofree char *method = NULL;
	g_autofree char *target = NULL;
	g_autofree char *reason = NULL;
	const char *query;
	guint status;

	memset(verdict, 0, sizeof(*verdict));
	if (len > G_MAXINT) {
		ws_refuse(verdict, SOUP_STATUS_BAD_REQUEST, FALSE, "request head too large");
		return;
	}
	status = soup_headers_parse_request((const char *)head, (int)len, headers, &method,
					    &target, NULL);
	if (status != SOUP_STATUS_OK) {
		reason = g_strdup_printf("malformed HTTP request (%u %s)", status,
					 soup_status_get_phrase(status));
		ws_refuse(verdict, status, FALSE, reason);
		return;
	}
	query = strchr(target, '?');
	verdict->path = query != NULL ? g_strndup(target, (gsize)(query - target))
				      : g_strdup(target);
	switch (ws_path_match(pattern, verdict->path)) {
	case WS_PATH_MATCH:
		break;
	case WS_PATH_REDIRECT:
		reason = g_strdup_printf("path %s redirected to %s", verdict->path, pattern);
		ws_refuse(verdict, SOUP_STATUS_MOVED_PERMANENTLY, FALSE, reason);
		return;
	case WS_PATH_NOT_FOUND:
	default:
		reason = g_strdup_printf("no websocket at path %s", verdict->path);
		ws_refuse(verdict, SOUP_STATUS_NOT_FOUND, FALSE, reason);
		return;
	}
	/* gorilla Upgrader.Upgrade, in its order (wire.md 9.6) */
	if (!ws_header_has_token(headers, "Connection", "upgrade")) {
		reason = g_strconcat(bad, "'upgrade' token not found in 'Connection' header", NULL);
		ws_refuse(verdict, SOUP_STATUS_BAD_REQUEST, TRUE, reason);
		return;
	}
	if (!ws_header_has_token(headers, "Upgrade", "websocket")) {
		reason = g_strconcat(bad, "'websocket' token not found in 'Upgrade' header", NULL);
		ws_refuse(verdict, SOUP_STATUS_BAD_REQUEST, TRUE, reason);
		return;
	}
	if (g_strcmp0(method, "GET") != 0) {
		reason = g_strconcat(bad, "request method is not GET", NULL);
		ws_refuse(verdict, SOUP_STATUS_METHOD_NOT_ALLOWED, TRUE, reason);
		return;
	}
	if (!ws_header_has_token(headers, "Sec-WebSocket-Version", "13")) {
		ws_refuse(verdict, SOUP_STATUS_BAD_REQUEST, TRUE,
			  "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' "
			  "header");
		return;
	}
	if (!ws_same_origin(headers)) {
		ws_refuse(verdict, SOUP_STATUS_FORBIDDEN, TRUE,
			  "websocket: request origin not allowed by Upgrader.CheckOrigin");
		return;
	}
	if (!ws_valid_key(soup_message_headers_get_one(headers, "Sec-WebSocket-Key"))) {
		ws_refuse(verdict, SOUP_STATUS_BAD_REQUEST, TRUE,
			  "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must "
			  "be Base64 encoded value of 16-byte in length");
		return;
	}
	verdict->status = SOUP_STATUS_SWITCHING_PROTOCOLS;
	verdict->accept =
		ws_accept_for_key(soup_message_headers_get_one(headers, "Sec-WebSocket-Key"));
}

static const char *
ws_status_phrase(guint status)
{
	/* libsoup 3.2 knows no 431 */
	if (status == 431)
		return "Request Header Fields Too Large";
	return soup_status_get_phrase(status);
}

char *
ws_server_build_response(const WsServerVerdict *verdict, const char *pattern)
{
	g_autofree char *body = NULL;
	GString *out;

	if (verdict->status == SOUP_STATUS_SWITCHING_PROTOCOLS)
		return g_strdup_printf("HTTP/1.1 101 Switching Protocols\r\n"
				       "Upgrade: websocket\r\n"
				       "Connection: Upgrade\r\n"
				       "Sec-WebSocket-Accept: %s\r\n\r\n",
				       verdict->accept);
	/* Go's http.Error / ServeMux shapes; we close after answering */
	if (verdict->status == SOUP_STATUS_NOT_FOUND)
		body = g_strdup("404 page not found\n");
	else if (verdict->status == SOUP_STATUS_MOVED_PERMANENTLY)
		body = g_strdup_printf("<a href=\"%s\">Moved Permanently</a>.\n\n", pattern);
	else
		body = g_strdup_printf("%s\n", ws_status_phrase(verdict->status));
	out = g_string_new(NULL);
	g_string_append_printf(out, "HTTP/1.1 %u %s\r\n", verdict->status,
			       ws_status_phrase(verdict->status));
	if (verdict->status == SOUP_STATUS_MOVED_PERMANENTLY) {
		g_string_append_printf(out, "Content-Type: text/html; charset=utf-8\r\n"
					    "Location: %s\r\n", pattern);
	} else {
		g_string_append(out, "Content-Type: text/plain; charset=utf-8\r\n");
		if (verdict->gorilla)
			g_string_append(out, "Sec-Websocket-Version: 13\r\n");
		g_string_append(out, "X-Content-Type-Options: nosniff\r\n");
	}
	g_string_append_printf(out, "Connection: close\r\nContent-Length: %" G_GSIZE_FORMAT
				    "\r\n\r\n%s",
			       strlen(body), body);
	return g_string_free(out, FALSE);
}

gsize
ws_frame_size(gsize payload, gboolean client)
{
	gsize header = payload < 126 ? 2 : (payload < 65536 ? 4 : 10);

	return payload + header + (client ? 4 : 0);
}

char *
ws_address_text(GSocketAddress *address)
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

gboolean
ws_check_costs(GVariant *params, GError **error)
{
	double cost = 1.0;
	g_autoptr(GVariant) nodecost = NULL;

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
ws_param_string(GVariant *params, const char *name)
{
	const char *value = NULL;

	if (params == NULL || !g_variant_lookup(params, name, "&s", &value) || value[0] == '\0')
		return NULL;
	return value;
}

char *
ws_error_text(const GError *error)
{
	if (error->domain == G_IO_ERROR) {
		switch (error->code) {
		case G_IO_ERROR_CONNECTION_REFUSED:
			return g_strdup("connection refused");
		case G_IO_ERROR_ADDRESS_IN_USE:
			return g_strdup("address already in use");
		case G_IO_ERROR_PERMISSION_DENIED:
			return g_strdup("permission denied");
		case G_IO_ERROR_TIMED_OUT:
			return g_strdup("i/o timeout");
		case G_IO_ERROR_HOST_UNREACHABLE:
			return g_strdup("no route to host");
		case G_IO_ERROR_NETWORK_UNREACHABLE:
			return g_strdup("network is unreachable");
		default:
			break;
		}
	}
	return g_strdup(error->message);
}

GInetAddress *
ws_parse_bind_address(const char *bindaddr, gboolean *wildcard, GError **error)
{
	g_autofree char *literal = NULL;
	gsize len;
	GInetAddress *address;

	*wildcard = FALSE;
	if (bindaddr == NULL || bindaddr[0] == '\0' || g_strcmp0(bindaddr, "0.0.0.0") == 0) {
		*wildcard = TRUE;
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

void
ws_proxy_free(WsProxy *proxy)
{
	if (proxy == NULL)
		return;
	g_free(proxy->host);
	g_free(proxy->auth);
	g_free(proxy);
}

/* "host:port" of the URL with the default port filled in (gorilla's
 * hostPortNoPort); IPv6 in brackets. (transfer full) */
static char *
ws_url_host_port(const WsUrl *url)
{
	if (strchr(url->host, ':') != NULL)
		return g_strdup_printf("[%s]:%u", url->host, url->port);
	return g_strdup_printf("%s:%u", url->host, url->port);
}

/* One NO_PROXY entry against host/port (golang.org/x/net/http/httpproxy). */
static gboolean
ws_no_proxy_matches(const char *entry, const char *host, guint16 port)
{
	g_autofree char *e = g_strstrip(g_ascii_strdown(entry, -1));
	g_autofree char *h = g_ascii_strdown(host, -1);
	g_autoptr(GInetAddressMask) mask = NULL;
	g_autoptr(GInetAddress) ip = NULL;
	char *colon;
	gsize elen;

	if (e[0] == '\0')
		return FALSE;
	if (g_strcmp0(e, "*") == 0)
		return TRUE;
	ip = g_inet_address_new_from_string(h);
	if (strchr(e, '/') != NULL) {
		mask = g_inet_address_mask_new_from_string(e, NULL);
		return mask != NULL && ip != NULL && g_inet_address_mask_matches(mask, ip);
	}
	/* optional :port (IPv6 entries in brackets) */
	if (e[0] == '[') {
		char *end = strchr(e, ']');

		if (end == NULL)
			return FALSE;
		*end = '\0';
		if (end[1] == ':' && (guint16)g_ascii_strtoull(end + 2, NULL, 10) != port)
			return FALSE;
		return g_strcmp0(e + 1, h) == 0;
	}
	colon = strrchr(e, ':');
	if (colon != NULL && strchr(e, ':') == colon) {
		if ((guint16)g_ascii_strtoull(colon + 1, NULL, 10) != port)
			return FALSE;
		*colon = '\0';
	}
	if (ip != NULL) {
		g_autoptr(GInetAddress) eip = g_inet_address_new_from_string(e);

		return eip != NULL && g_inet_address_equal(eip, ip);
	}
	elen = strlen(e);
	if (e[0] == '.')
		return g_str_has_suffix(h, e) || g_strcmp0(h, e + 1) == 0;
	return g_strcmp0(h, e) == 0 ||
	       (strlen(h) > elen && g_str_has_suffix(h, e) && h[strlen(h) - elen - 1] == '.');
}

gboolean
ws_proxy_from_env(const WsUrl *url, const char *http_proxy, const char *https_proxy,
		  const char *no_proxy, WsProxy **proxy, GError **error)
{
	const char *value = url->tls ? https_proxy : http_proxy;
	g_autofree char *with_scheme = NULL;
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GInetAddress) ip = NULL;
	g_autoptr(WsProxy) p = NULL;
	const char *scheme;
	const char *user;
	const char *password;

	*proxy = NULL;
	if (value == NULL || value[0] == '\0')
		return TRUE;
	/* never for localhost or loopback addresses */
	ip = g_inet_address_new_from_string(url->host);
	if (g_ascii_strcasecmp(url->host, "localhost") == 0 ||
	    (ip != NULL && g_inet_address_get_is_loopback(ip)))
		return TRUE;
	if (no_proxy != NULL) {
		g_auto(GStrv) entries = g_strsplit(no_proxy, ",", -1);

		for (guint i = 0; entries[i] != NULL; i++) {
			if (ws_no_proxy_matches(entries[i], url->host, url->port))
				return TRUE;
		}
	}
	with_scheme = strstr(value, "://") != NULL ? g_strdup(value)
						   : g_strdup_printf("http://%s", value);
	uri = g_uri_parse(with_scheme, G_URI_FLAGS_HAS_PASSWORD, NULL);
	if (uri == NULL || g_uri_get_host(uri) == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "invalid proxy address %s", value);
		return FALSE;
	}
	scheme = g_uri_get_scheme(uri);
	if (g_ascii_strcasecmp(scheme, "http") != 0) {
		/* Go also knows socks5://; this backend only tunnels with CONNECT */
		g_set_error(error, RC_ERROR, RC_ERROR_UNSUPPORTED, "proxy: unknown scheme: %s",
			    scheme);
		return FALSE;
	}
	p = g_new0(WsProxy, 1);
	p->host = g_strdup(g_uri_get_host(uri));
	p->port = (guint16)(g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : 80);
	user = g_uri_get_user(uri);
	password = g_uri_get_password(uri);
	if (user != NULL && password != NULL) {
		g_autofree char *plain_user = g_uri_unescape_string(user, NULL);
		g_autofree char *plain_password = g_uri_unescape_string(password, NULL);
		g_autofree char *pair = g_strdup_printf("%s:%s", plain_user, plain_password);
		g_autofree char *b64 = g_base64_encode((const guchar *)pair, strlen(pair));

		p->auth = g_strdup_printf("Basic %s", b64);
	}
	*proxy = g_steal_pointer(&p);
	return TRUE;
}

char *
ws_build_connect(const WsUrl *url, const WsProxy *proxy)
{
	g_autofree char *target = ws_url_host_port(url);

	/* net/http Request.Write for CONNECT: Host, User-Agent, then headers */
	return g_strdup_printf("CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
			       "User-Agent: Go-http-client/1.1\r\n%s%s%s\r\n",
			       target, target, proxy->auth != NULL ? "Proxy-Authorization: " : "",
			       proxy->auth != NULL ? proxy->auth : "",
			       proxy->auth != NULL ? "\r\n" : "");
}

gboolean
ws_check_connect_response(const guint8 *head, gsize len, GError **error)
{
	g_autoptr(SoupMessageHeaders) headers =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	guint status = 0;
	g_autofree char *reason = NULL;

	if (len > G_MAXINT ||
	    !soup_headers_parse_response((const char *)head, (int)len, headers, NULL, &status,
					 &reason)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "malformed HTTP response from the proxy");
		return FALSE;
	}
	if (status != SOUP_STATUS_OK) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    reason != NULL && reason[0] != '\0' ? reason : "proxy refused");
		return FALSE;
	}
	return TRUE;
}
