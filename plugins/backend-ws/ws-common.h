/* ws-common.h: pure logic of the websocket backend (wire.md 9.6): URL and
 * extra-header checks, the HTTP/1.1 upgrade handshake as Go's gorilla
 * websocket does it (request, response, server checks, ServeMux path rules).
 * HTTP heads are parsed by libsoup (soup_headers_parse_*); WebSocket framing
 * is libsoup's SoupWebsocketConnection (ws-link.c).  No sockets here: unit
 * tests and fuzz-ws link this directly. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "receptor/receptor-plugin.h"

/* Largest HTTP request/response head read before the upgrade (Go's
 * http.DefaultMaxHeaderBytes is 1 MiB; a handshake head is ~300 bytes, so
 * 8 KiB is plenty and bounds a slow-loris client, STYLE 4). */
#define WS_MAX_HEAD 8192
/* wire.md 9.6 / 13.1: the listener reads request headers within 5 s. */
#define WS_HEAD_TIMEOUT_MS 5000
/* Handshakes a listener runs at once (STYLE 4 bounded); more are refused. */
#define WS_MAX_PENDING_HANDSHAKES 64
/* Largest WebSocket message accepted and sent.  Go sets no limit (wire.md 4,
 * 9.6) but no Netceptor message exceeds 65536 + 36 bytes (UDP proxy payload
 * plus data header, wire.md 4); libsoup's default (128 KiB) is bounded by
 * the same rule.  Larger messages end the link with a log line. */
#define WS_MAX_MESSAGE (128 * 1024)
/* Bytes queued in libsoup but not yet written to the socket above which
 * send() answers RC_LINK_SEND_FULL, and below which link_writable fires
 * (STYLE 4 backpressure; the core's queue bounds are in core/rc-link.h). */
#define WS_SEND_HIGH_WATER (256 * 1024)
#define WS_SEND_LOW_WATER  (64 * 1024)
/* RFC 6455 section 1.3 GUID for Sec-WebSocket-Accept. */
#define WS_ACCEPT_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* A parsed ws-peer address (wire.md 9.6 "ws-peer (client)"). */
typedef struct {
	gboolean tls;       /* wss */
	char *host;         /* to connect to; IPv6 without brackets */
	guint16 port;       /* 80 / 443 by default */
	char *host_header;  /* host[:port] exactly as written in the URL */
	char *request_uri;  /* path plus ?query, "/" when empty */
	char *origin;       /* http(s)://host[:port] */
} WsUrl;

void ws_url_free(WsUrl *url);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WsUrl, ws_url_free)

/* Parse a ws-peer address.  Errors: "address <a> is not a valid URL: <e>"
 * (config time in Go) and "malformed ws or wss URL" (Go: at dial time, for a
 * scheme other than ws/wss or user info in the URL). (transfer full) */
WsUrl *ws_url_parse(const char *address, GError **error);

/* Go's textproto.CanonicalMIMEHeaderKey. (transfer full) */
char *ws_canonical_header_name(const char *name);

/* Split `extraheader` "Name:Value" at the first ':' (config.md 9.4), the name
 * canonicalised and the value trimmed (wire.md 9.6).  Names gorilla refuses
 * as duplicates fail with "websocket: duplicate header not allowed: <Name>".
 * (out) (transfer full) name and value. */
gboolean ws_parse_extra_header(const char *text, char **name, char **value, GError **error);

/* Sec-WebSocket-Accept for a key (base64 SHA-1 of key + GUID). (transfer full) */
char *ws_accept_for_key(const char *key);

/* A fresh random Sec-WebSocket-Key (16 random bytes, base64). (transfer full) */
char *ws_new_key(void);

/* The client's upgrade request head (wire.md 9.6 "Request"): `extra_name`
 * and `extra_value` are nullable.  (transfer full) */
char *ws_build_request(const WsUrl *url, const char *key, const char *extra_name,
		       const char *extra_value);

/* Offset just past the first "\r\n\r\n" in data[0..len), or 0 if none yet. */
gsize ws_head_end(const guint8 *data, gsize len);

/* Check a server's response head to our request with `key`: status 101,
 * "Upgrade: websocket", "Connection" containing "upgrade", and the right
 * Sec-WebSocket-Accept; anything else is "websocket: bad handshake". */
gboolean ws_check_response(const guint8 *head, gsize len, const char *key, GError **error);

/* Go ServeMux semantics for one registered pattern (wire.md 9.6 "Path"). */
typedef enum {
	WS_PATH_MATCH = 0,
	WS_PATH_REDIRECT = 1, /* 301 to pattern (request lacks the trailing '/') */
	WS_PATH_NOT_FOUND = 2
} WsPathMatch;
WsPathMatch ws_path_match(const char *pattern, const char *path);

/* Outcome of a server-side look at a request head. */
typedef struct {
	guint status;        /* 101 on success, else the HTTP status to answer */
	char *reason;        /* (nullable) why it was refused (log text) */
	gboolean gorilla;    /* refused by the upgrade checks (log as Go does) */
	char *path;          /* (nullable) request path */
	char *accept;        /* (nullable) Sec-WebSocket-Accept on success */
} WsServerVerdict;

void ws_server_verdict_clear(WsServerVerdict *verdict);

/* Judge a request head for the listener registered at `pattern`: HTTP
 * parse (libsoup), path (404 / 301), then gorilla's Upgrader checks in its
 * order with its messages (wire.md 9.6): Connection (400), Upgrade (400),
 * method GET (405), version 13 (400), same origin (403), key (400). */
void ws_server_check_request(const guint8 *head, gsize len, const char *pattern,
			     WsServerVerdict *verdict);

/* The server's response head for a verdict: "101 Switching Protocols" with
 * the accept key, or an error in Go's http.Error shape (closing the
 * connection).  (transfer full) */
char *ws_server_build_response(const WsServerVerdict *verdict, const char *pattern);

/* Size on the wire of a frame carrying `payload` bytes (RFC 6455 5.2):
 * server frames unmasked, client frames with a 4-byte mask. */
gsize ws_frame_size(gsize payload, gboolean client);

/* "ip:port" ("[ip]:port" for IPv6, IPv4-mapped shown as IPv4). (transfer full) */
char *ws_address_text(GSocketAddress *address);

/* cost > 0 and every nodecost value > 0 (config.md 9.4). */
gboolean ws_check_costs(GVariant *params, GError **error);

/* (transfer none) (nullable) string parameter; empty strings count as unset */
const char *ws_param_string(GVariant *params, const char *name);

/* Go-like text of a socket error ("connection refused", ...). (transfer full) */
char *ws_error_text(const GError *error);

/* A listener bind address: IPv4/IPv6 literal (IPv6 optionally in brackets),
 * "localhost", or the wildcard "0.0.0.0"/"" (then *wildcard is TRUE: listen
 * dual-stack like Go, wire.md 9.3). (transfer full) (nullable) */
GInetAddress *ws_parse_bind_address(const char *bindaddr, gboolean *wildcard, GError **error);

/* An HTTP proxy a ws-peer tunnels through with CONNECT (wire.md 9.6 "Proxy"). */
typedef struct {
	char *host;  /* IPv6 without brackets */
	guint16 port;
	char *auth;  /* nullable: "Basic <base64 user:password>" */
} WsProxy;

void ws_proxy_free(WsProxy *proxy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WsProxy, ws_proxy_free)

/* Go's http.ProxyFromEnvironment for a ws-peer URL, given the variables'
 * values (nullable): `http_proxy` serves ws://, `https_proxy` wss://;
 * `no_proxy` lists hosts, domain suffixes (".example.com" or
 * "example.com"), IPs or CIDRs (optional ":port"), or "*"; localhost and
 * loopback addresses are never proxied.  A proxy URL without a scheme is
 * http://.  Returns TRUE with *proxy NULL when no proxy applies; FALSE for a
 * proxy this backend cannot use ("proxy: unknown scheme: <scheme>").
 * (out) (transfer full) (nullable) proxy */
gboolean ws_proxy_from_env(const WsUrl *url, const char *http_proxy, const char *https_proxy,
			   const char *no_proxy, WsProxy **proxy, GError **error);

/* gorilla's CONNECT request for the URL's host:port. (transfer full) */
char *ws_build_connect(const WsUrl *url, const WsProxy *proxy);

/* The proxy's answer must be 200; otherwise the error is the status text
 * after the code (gorilla), e.g. "Forbidden". */
gboolean ws_check_connect_response(const guint8 *head, gsize len, GError **error);
