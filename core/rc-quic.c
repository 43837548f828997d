/* rc-quic.c: QUIC over mesh datagrams with ngtcp2 0.12 + GnuTLS (streams.md 1-4, 9).
 *
 * One RcQuicEndpoint per bound service (quic-go's "transport"), one
 * RcQuicConn per QUIC connection with exactly one stream (ID 0).  ngtcp2 is
 * only ever entered from main-loop dispatches (the endpoint's receive source
 * and each connection's timer source) or from application I/O calls; its
 * callbacks only record state, and everything that can re-enter (accept
 * callbacks, dial completion, freeing) happens after ngtcp2 returns.
 */
#include "config.h"

#include "rc-quic.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "receptor/receptor-plugin.h"
#include "rc-limits.h"

/* ALPN of every mesh stream (streams.md 4.2). */
#define RC_QUIC_ALPN "netceptor"
/* Subject CN of the built-in certificate (streams.md 2.2). */
#define RC_QUIC_INSECURE_CN "netceptor-insecure-common-name"
/* streams.md 4.5: the ngtcp2 example string without AES-128-CCM. */
#define RC_QUIC_PRIORITY                                                                    \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:" \
	"-GROUP-ALL:+GROUP-SECP256R1:+GROUP-X25519:+GROUP-SECP384R1:+GROUP-SECP521R1:"        \
	"%DISABLE_TLS13_COMPAT_MODE"
/* Datagrams handled per dispatch of an endpoint's receive source (fairness). */
#define RC_QUIC_RX_BATCH 64
/* Packets written per write pass at most (the send quantum usually stops earlier). */
#define RC_QUIC_TX_BATCH 64
/* While the transport has no room, timers are checked at most this often. */
#define RC_QUIC_TX_BLOCKED_RECHECK_US 5000

typedef enum {
	CONN_HANDSHAKE,   /* L0 / D1 */
	CONN_WAIT_STREAM, /* L1: server, handshake done, waiting for stream 0 and its byte */
	CONN_ESTABLISHED, /* stream usable */
	CONN_CLOSING,     /* we sent CONNECTION_CLOSE; answering with it for 3 PTO */
	CONN_DEAD
} ConnState;

typedef struct {
	char *from_node;
	char *from_service;
	gsize len;
	guint8 data[];
} RxDatagram;

/* A received datagram being handled (points into an RxDatagram or the caller's buffer). */
typedef struct {
	const char *from_node;
	const char *from_service;
	const guint8 *data;
	gsize len;
} RxView;

typedef struct {
	gsize len;
	guint8 data[RC_QUIC_SEND_CHUNK];
} SendChunk;

struct _RcQuicEndpoint;
static void ep_handle(struct _RcQuicEndpoint *ep, const RxView *d);

struct _RcQuicEndpoint {
	gint ref;
	char *local_node;
	char *service;
	gboolean listen;
	gboolean closing;
	gboolean closed;
	RcQuicTimeouts to;
	const RcQuicTransportOps *ops;
	gpointer transport;
	const RcQuicTlsOps *tls_ops;
	gpointer tls_data;
	RcQuicAcceptFunc accept;
	gpointer accept_data;
	GHashTable *cids;  /* GBytes cid -> RcQuicConn* (borrowed) */
	GHashTable *conns; /* RcQuicConn* set (owned) */
	guint n_handshaking;
	GQueue rxq; /* RxDatagram* */
	GSource *rx_source;
	guint8 reset_secret[32];
	gnutls_certificate_credentials_t server_cred; /* built-in certificate, lazily */
};

struct _RcQuicConn {
	gint ref;
	RcQuicEndpoint *ep;       /* borrowed while attached; NULL once detached */
	RcQuicEndpoint *owned_ep; /* dialer: the dial's own endpoint (strong) */
	char *local_service;
	RcQuicTimeouts to;
	gboolean server;
	char *peer_node;
	char *peer_service;
	ConnState state;
	ngtcp2_conn *conn;
	gnutls_session_t tls;
	gpointer tls_state; /* RcQuicTlsOps session state */
	const RcQuicTlsOps *tls_ops;
	gnutls_certificate_credentials_t client_cred;
	ngtcp2_crypto_conn_ref conn_ref;
	struct sockaddr_in6 local_sa;
	struct sockaddr_in6 remote_sa;
	ngtcp2_path path;
	GPtrArray *cids; /* GBytes registered in ep->cids */
	GSource *timer;
	gboolean tx_blocked; /* the transport had no room: wait for rc_quic_endpoint_writable */
	gboolean hs_confirmed; /* handshake confirmed: larger packets allowed */
	guint64 pkts_sent;
	gint64 handshake_idle_deadline_us; /* 0 = unset */
	gint64 accept_deadline_us;
	gint64 linger_deadline_us;
	gint64 closing_deadline_us;
	char *verify_error; /* set by the TLS verify function */
	/* events recorded inside ngtcp2 callbacks, handled afterwards */
	gboolean ev_handshake_done;
	gboolean ev_accept;
	const char *ev_init_error; /* listener: reason to close with code 500 */
	/* stream 0 */
	gboolean stream_open;
	gboolean stream_blocked; /* dialer waits for stream credit (D2) */
	int64_t stream_id;
	gboolean stream_closed;
	/* send side: chunks hold bytes [send_base, written_off); ngtcp2 keeps
	 * pointers into them until acknowledged, so chunks never move */
	GQueue send_chunks;
	guint64 send_base;
	guint64 acked_off;
	guint64 sent_off;
	guint64 written_off;
	gboolean fin_requested;
	gboolean fin_sent;
	guint64 stop_sending_code;
	gboolean stop_sending;
	/* receive side */
	GQueue recv_bufs; /* GBytes* */
	gsize recv_head_off;
	gsize recv_buffered;
	gboolean recv_fin;
	gboolean read_shut;
	gboolean reset_received;
	guint64 reset_code;
	gboolean init_byte_seen;
	/* end of life */
	GError *error; /* terminal error, reported by reads/writes */
	guint8 close_pkt[RC_QUIC_MAX_UDP_PAYLOAD];
	gsize close_pkt_len;
	guint64 closing_rx; /* packets received in the closing period */
	/* dial */
	GTask *dial_task;
	GCancellable *dial_cancellable;
	gulong dial_cancel_id;
};

static void conn_write(RcQuicConn *c);
static void conn_schedule(RcQuicConn *c);
static void conn_terminate(RcQuicConn *c, GError *error, const ngtcp2_connection_close_error *ccerr);
static void conn_after_ngtcp2(RcQuicConn *c);
static void ep_detach_conn(RcQuicEndpoint *ep, RcQuicConn *c);

/* ------------------------------------------------------------ helpers */

static ngtcp2_tstamp
now_ts(void)
{
	return (ngtcp2_tstamp)g_get_monotonic_time() * NGTCP2_MICROSECONDS;
}

static void
rand_bytes(guint8 *dest, gsize len)
{
	if (gnutls_rnd(GNUTLS_RND_RANDOM, dest, len) != 0) {
		/* gnutls_rnd only fails when the library is in an error state */
		for (gsize i = 0; i < len; i++)
			dest[i] = (guint8)g_random_int();
	}
}

static void
rand_cb(uint8_t *dest, size_t destlen, const ngtcp2_rand_ctx *rand_ctx)
{
	rand_bytes(dest, destlen);
}

static GBytes *
cid_key(const guint8 *data, gsize len)
{
	return g_bytes_new(data, len);
}

/* Go crypto/tls alert texts (alert.go), for CRYPTO_ERROR messages (streams.md 3.4). */
static const char *
alert_text(guint8 alert)
{
	switch (alert) {
	case 0: return "close notify";
	case 10: return "unexpected message";
	case 20: return "bad record MAC";
	case 21: return "decryption failed";
	case 22: return "record overflow";
	case 30: return "decompression failure";
	case 40: return "handshake failure";
	case 42: return "bad certificate";
	case 43: return "unsupported certificate";
	case 44: return "revoked certificate";
	case 45: return "expired certificate";
	case 46: return "unknown certificate";
	case 47: return "illegal parameter";
	case 48: return "unknown certificate authority";
	case 49: return "access denied";
	case 50: return "error decoding message";
	case 51: return "error decrypting message";
	case 70: return "protocol version not supported";
	case 71: return "insufficient security level";
	case 80: return "internal error";
	case 86: return "inappropriate fallback";
	case 90: return "user canceled";
	case 100: return "no renegotiation";
	case 109: return "missing extension";
	case 110: return "unsupported extension";
	case 112: return "unrecognized name";
	case 116: return "certificate required";
	case 120: return "no application protocol";
	default: return NULL;
	}
}

/* quic-go's transport error code names (qerr/error_codes.go). */
static const char *
transport_code_name(guint64 code)
{
	static const char *const names[] = {
		"NO_ERROR", "INTERNAL_ERROR", "CONNECTION_REFUSED", "FLOW_CONTROL_ERROR",
		"STREAM_LIMIT_ERROR", "STREAM_STATE_ERROR", "FINAL_SIZE_ERROR",
		"FRAME_ENCODING_ERROR", "TRANSPORT_PARAMETER_ERROR", "CONNECTION_ID_LIMIT_ERROR",
		"PROTOCOL_VIOLATION", "INVALID_TOKEN", "APPLICATION_ERROR",
		"CRYPTO_BUFFER_EXCEEDED", "KEY_UPDATE_ERROR", "AEAD_LIMIT_REACHED",
		"NO_VIABLE_PATH",
	};
	if (code < G_N_ELEMENTS(names))
		return names[code];
	return NULL;
}

/* The text Go shows for a CONNECTION_CLOSE (qerr/errors.go Error()). */
static char *
close_error_text(const ngtcp2_connection_close_error *ccerr, gboolean remote)
{
	const char *role = remote ? "remote" : "local";
	g_autofree char *reason = ccerr->reason != NULL
					  ? g_strndup((const char *)ccerr->reason, ccerr->reasonlen)
					  : g_strdup(""); /* a close without reason has none */

	if (ccerr->type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION) {
		if (reason[0] == '\0')
			return g_strdup_printf("Application error %#" G_GINT64_MODIFIER "x (%s)",
					       ccerr->error_code, role);
		return g_strdup_printf("Application error %#" G_GINT64_MODIFIER "x (%s): %s",
				       ccerr->error_code, role, reason);
	}
	if (ccerr->error_code >= 0x100 && ccerr->error_code < 0x200) {
		const char *a = alert_text((guint8)(ccerr->error_code - 0x100));
		if (reason[0] != '\0')
			return g_strdup_printf("CRYPTO_ERROR %#" G_GINT64_MODIFIER "x (%s): %s",
					       ccerr->error_code, role, reason);
		if (a != NULL)
			return g_strdup_printf("CRYPTO_ERROR %#" G_GINT64_MODIFIER "x (%s): tls: %s",
					       ccerr->error_code, role, a);
		return g_strdup_printf("CRYPTO_ERROR %#" G_GINT64_MODIFIER "x (%s)",
				       ccerr->error_code, role);
	}
	const char *name = transport_code_name(ccerr->error_code);
	g_autofree char *code = name != NULL
					? g_strdup(name)
					: g_strdup_printf("%#" G_GINT64_MODIFIER "x", ccerr->error_code);
	if (reason[0] == '\0')
		return g_strdup_printf("%s (%s)", code, role);
	return g_strdup_printf("%s (%s): %s", code, role, reason);
}

static GError *
conn_error_new(const char *message)
{
	return g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, message);
}

/* ------------------------------------------------------------ TLS */

static gboolean
make_builtin_server_cred(gnutls_certificate_credentials_t *out, GError **error)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	const guint8 serial[] = { 0x01 }; /* positive (streams.md 2.2) */
	time_t now = time(NULL);
	int rv;

	rv = gnutls_x509_privkey_init(&key);
	if (rv == 0)
		rv = gnutls_x509_privkey_generate(
		    key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rv == 0)
		rv = gnutls_x509_crt_init(&crt);
	if (rv == 0)
		rv = gnutls_x509_crt_set_version(crt, 3);
	if (rv == 0)
		rv = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
	if (rv == 0)
		rv = gnutls_x509_crt_set_activation_time(crt, now - 60);
	/* Go uses 24 h; dialers never check validity and a longer one is allowed
	 * (streams.md 2.2), so one certificate serves a long-running listener. */
	if (rv == 0)
		rv = gnutls_x509_crt_set_expiration_time(crt, now + 365 * 24 * 3600);
	if (rv == 0)
		rv = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
						   RC_QUIC_INSECURE_CN, strlen(RC_QUIC_INSECURE_CN));
	if (rv == 0)
		rv = gnutls_x509_crt_set_key(crt, key);
	if (rv == 0)
		rv = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (rv == 0)
		rv = gnutls_certificate_allocate_credentials(&cred);
	if (rv == 0)
		rv = gnutls_certificate_set_x509_key(cred, &crt, 1, key);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	if (rv != 0) {
		if (cred != NULL)
			gnutls_certificate_free_credentials(cred);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "cannot create the stream certificate: %s", gnutls_strerror(rv));
		return FALSE;
	}
	*out = cred;
	return TRUE;
}

static RcQuicConn *
conn_from_session(gnutls_session_t session)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(session);
	return ref->user_data;
}

/* The last CN of a certificate's subject, as Go reads it (streams.md 4.4). */
static char *
cert_last_cn(const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt = NULL;
	char *last = NULL;

	if (gnutls_x509_crt_init(&crt) != 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == 0) {
		for (unsigned idx = 0; idx < 16; idx++) {
			char buf[256];
			size_t len = sizeof buf - 1;
			if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, idx, 0,
							  buf, &len) != 0)
				break;
			buf[MIN(len, sizeof buf - 1)] = '\0';
			g_free(last);
			last = g_strdup(buf);
		}
	}
	gnutls_x509_crt_deinit(crt);
	return last;
}

static int
verify_cb(gnutls_session_t session)
{
	RcQuicConn *c = conn_from_session(session);

	/* built-in client check: any certificate with the insecure CN (streams.md 4.4) */
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
	for (unsigned i = 0; peers != NULL && i < n; i++) {
		g_autofree char *cn = cert_last_cn(&peers[i]);
		if (g_strcmp0(cn, RC_QUIC_INSECURE_CN) == 0)
			return 0;
	}
	g_free(c->verify_error);
	c->verify_error = g_strdup("insecure connection to secure service");
	return -1;
}

static ngtcp2_conn *
get_conn_cb(ngtcp2_crypto_conn_ref *ref)
{
	RcQuicConn *c = ref->user_data;
	return c->conn;
}

static gboolean
conn_setup_tls(RcQuicConn *c, GError **error)
{
	RcQuicEndpoint *ep = c->ep;
	gnutls_datum_t alpn = { (unsigned char *)RC_QUIC_ALPN, sizeof RC_QUIC_ALPN - 1 };
	int rv;

	rv = gnutls_init(&c->tls, (c->server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
				      GNUTLS_NO_END_OF_EARLY_DATA);
	if (rv != 0) {
		c->tls = NULL;
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: %s", gnutls_strerror(rv));
		return FALSE;
	}
	rv = c->server ? ngtcp2_crypto_gnutls_configure_server_session(c->tls)
		       : ngtcp2_crypto_gnutls_configure_client_session(c->tls);
	if (rv != 0) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "TLS: cannot configure the QUIC session");
		return FALSE;
	}
	c->conn_ref.get_conn = get_conn_cb;
	c->conn_ref.user_data = c;
	gnutls_session_set_ptr(c->tls, &c->conn_ref);

	if (ep->tls_ops != NULL) {
		c->tls_ops = ep->tls_ops;
		if (!ep->tls_ops->setup(ep->tls_data, c->tls, c->server, c->peer_node,
					&c->tls_state, error))
			return FALSE;
	} else {
		rv = gnutls_priority_set_direct(c->tls, RC_QUIC_PRIORITY, NULL);
		if (rv == 0) {
			if (c->server) {
				if (ep->server_cred == NULL &&
				    !make_builtin_server_cred(&ep->server_cred, error))
					return FALSE;
				rv = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
							    ep->server_cred);
			} else {
				rv = gnutls_certificate_allocate_credentials(&c->client_cred);
				if (rv == 0)
					rv = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
								    c->client_cred);
				gnutls_session_set_verify_function(c->tls, verify_cb);
			}
		}
		if (rv != 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: %s",
				    gnutls_strerror(rv));
			return FALSE;
		}
	}
	/* No SNI from a C dialer (streams.md 4.3). */
	rv = gnutls_alpn_set_protocols(c->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY);
	if (rv != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: %s", gnutls_strerror(rv));
		return FALSE;
	}
	ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
	return TRUE;
}

static gboolean
alpn_ok(RcQuicConn *c)
{
	gnutls_datum_t proto = { NULL, 0 };
	if (gnutls_alpn_get_selected_protocol(c->tls, &proto) != 0)
		return FALSE;
	return proto.size == sizeof RC_QUIC_ALPN - 1 &&
	       memcmp(proto.data, RC_QUIC_ALPN, proto.size) == 0;
}

/* ------------------------------------------------------------ CIDs */

static void
conn_add_cid(RcQuicConn *c, const guint8 *data, gsize len)
{
	if (c->ep == NULL)
		return;
	GBytes *key = cid_key(data, len);
	g_hash_table_replace(c->ep->cids, g_bytes_ref(key), c);
	g_ptr_array_add(c->cids, key);
}

static void
conn_remove_cid(RcQuicConn *c, const guint8 *data, gsize len)
{
	g_autoptr(GBytes) key = cid_key(data, len);
	for (guint i = 0; i < c->cids->len; i++) {
		if (g_bytes_equal(c->cids->pdata[i], key)) {
			if (c->ep != NULL && g_hash_table_lookup(c->ep->cids, key) == c)
				g_hash_table_remove(c->ep->cids, key);
			g_ptr_array_remove_index_fast(c->cids, i);
			return;
		}
	}
}

/* ------------------------------------------------------------ ngtcp2 callbacks */

static int
get_new_connection_id_cb(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen,
			 void *user_data)
{
	RcQuicConn *c = user_data;
	if (c->ep == NULL)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	rand_bytes(cid->data, cidlen);
	cid->datalen = cidlen;
	if (ngtcp2_crypto_generate_stateless_reset_token(token, c->ep->reset_secret,
							 sizeof c->ep->reset_secret, cid) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	conn_add_cid(c, cid->data, cid->datalen);
	return 0;
}

static int
remove_connection_id_cb(ngtcp2_conn *conn, const ngtcp2_cid *cid, void *user_data)
{
	conn_remove_cid(user_data, cid->data, cid->datalen);
	return 0;
}

static int
handshake_confirmed_cb(ngtcp2_conn *conn, void *user_data)
{
	RcQuicConn *c = user_data;
	c->hs_confirmed = TRUE;
	return 0;
}

static int
handshake_completed_cb(ngtcp2_conn *conn, void *user_data)
{
	RcQuicConn *c = user_data;
	c->ev_handshake_done = TRUE;
	return 0;
}

static void
conn_recv_append(RcQuicConn *c, const uint8_t *data, size_t len)
{
	if (len == 0)
		return;
	if (c->read_shut) {
		/* the application stopped reading: discard, keep credit flowing */
		ngtcp2_conn_extend_max_stream_offset(c->conn, c->stream_id, len);
		ngtcp2_conn_extend_max_offset(c->conn, len);
		return;
	}
	g_queue_push_tail(&c->recv_bufs, g_bytes_new(data, len));
	c->recv_buffered += len;
}

static int
recv_stream_data_cb(ngtcp2_conn *conn, uint32_t flags, int64_t stream_id, uint64_t offset,
		    const uint8_t *data, size_t datalen, void *user_data, void *stream_user_data)
{
	RcQuicConn *c = user_data;
	gboolean fin = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;

	if (stream_id != 0) {
		/* only stream 0 is used (streams.md 3.3): credit the bytes, ignore them */
		ngtcp2_conn_extend_max_stream_offset(conn, stream_id, datalen);
		ngtcp2_conn_extend_max_offset(conn, datalen);
		return 0;
	}
	if (c->server && !c->init_byte_seen) {
		/* L2 READ_INIT (streams.md 2.5): exactly one byte, 0x00 */
		if (datalen == 0) {
			if (fin)
				c->ev_init_error = "Read Error: EOF";
			return 0;
		}
		if (data[0] != 0x00) {
			c->ev_init_error = "Read Data Error";
			return 0;
		}
		c->init_byte_seen = TRUE;
		c->stream_open = TRUE;
		c->stream_id = 0;
		ngtcp2_conn_extend_max_stream_offset(conn, 0, 1);
		ngtcp2_conn_extend_max_offset(conn, 1);
		data++;
		datalen--;
		/* a lone 0x00 with FIN is accepted with the receive side at EOF
		 * (streams.md 2.5, SHOULD) */
		c->ev_accept = TRUE;
	}
	conn_recv_append(c, data, datalen);
	if (fin)
		c->recv_fin = TRUE;
	return 0;
}

static void
send_chunks_release(RcQuicConn *c, guint64 acked_to)
{
	for (;;) {
		SendChunk *ch = g_queue_peek_head(&c->send_chunks);
		if (ch == NULL || c->send_base + ch->len > acked_to)
			return;
		/* the tail chunk may still be filling: keep it unless it is full */
		if (ch->len < RC_QUIC_SEND_CHUNK && g_queue_get_length(&c->send_chunks) == 1)
			return;
		g_queue_pop_head(&c->send_chunks);
		c->send_base += ch->len;
		g_free(ch);
	}
}

static int
acked_stream_data_offset_cb(ngtcp2_conn *conn, int64_t stream_id, uint64_t offset,
			    uint64_t datalen, void *user_data, void *stream_user_data)
{
	RcQuicConn *c = user_data;
	if (stream_id == c->stream_id && c->stream_open) {
		c->acked_off = MAX(c->acked_off, offset + datalen);
		send_chunks_release(c, offset + datalen);
	}
	return 0;
}

static int
stream_close_cb(ngtcp2_conn *conn, uint32_t flags, int64_t stream_id, uint64_t app_error_code,
		void *user_data, void *stream_user_data)
{
	RcQuicConn *c = user_data;
	if (stream_id == c->stream_id && c->stream_open) {
		c->stream_closed = TRUE;
		if (!c->fin_sent && !c->stop_sending) {
			/* closed before our FIN: the peer's STOP_SENDING reset it */
			c->stop_sending = TRUE;
			c->stop_sending_code = (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET)
						   ? app_error_code
						   : RC_QUIC_APP_CANCEL_READ;
		}
	}
	return 0;
}

static int
stream_reset_cb(ngtcp2_conn *conn, int64_t stream_id, uint64_t final_size,
		uint64_t app_error_code, void *user_data, void *stream_user_data)
{
	RcQuicConn *c = user_data;
	if (stream_id == c->stream_id && c->stream_open) {
		c->reset_received = TRUE;
		c->reset_code = app_error_code;
	}
	return 0;
}


static int
extend_max_local_streams_bidi_cb(ngtcp2_conn *conn, uint64_t max_streams, void *user_data)
{
	RcQuicConn *c = user_data;
	c->stream_blocked = FALSE;
	return 0;
}

static void
fill_callbacks(ngtcp2_callbacks *cb, gboolean server)
{
	memset(cb, 0, sizeof *cb);
	if (server)
		cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	else {
		cb->client_initial = ngtcp2_crypto_client_initial_cb;
		cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
	}
	cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb->rand = rand_cb;
	cb->get_new_connection_id = get_new_connection_id_cb;
	cb->remove_connection_id = remove_connection_id_cb;
	cb->handshake_completed = handshake_completed_cb;
	cb->handshake_confirmed = handshake_confirmed_cb;
	cb->recv_stream_data = recv_stream_data_cb;
	cb->acked_stream_data_offset = acked_stream_data_offset_cb;
	cb->stream_close = stream_close_cb;
	cb->stream_reset = stream_reset_cb;
	cb->extend_max_local_streams_bidi = extend_max_local_streams_bidi_cb;
}

/* ngtcp2's packet/frame trace as debug lines, with RC_QUIC_TRACE set in the
 * environment (interop debugging, streams.md 10). */
static void trace_printf(void *user_data, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
trace_printf(void *user_data, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_debug("quic: %s", line);
}

/* streams.md 9, mapping table */
static void
fill_settings(ngtcp2_settings *s, const RcQuicTimeouts *to)
{
	ngtcp2_settings_default(s);
	s->initial_ts = now_ts();
	s->cc_algo = NGTCP2_CC_ALGO_RENO;
	if (g_getenv("RC_QUIC_TRACE") != NULL)
		s->log_printf = trace_printf;
	s->max_window = RC_QUIC_MAX_CONN_WINDOW;
	s->max_stream_window = RC_QUIC_MAX_STREAM_WINDOW;
	s->handshake_timeout = (ngtcp2_duration)to->handshake_timeout_us * NGTCP2_MICROSECONDS;
	s->no_pmtud = 1;
	/* the peer's max_udp_payload_size caps it (Go: 1452); handshake packets
	 * stay within RC_QUIC_MAX_UDP_PAYLOAD (conn_write) */
	s->max_tx_udp_payload_size = RC_QUIC_MESH_MAX_UDP_PAYLOAD;
	s->no_tx_udp_payload_size_shaping = 1;
}

static void
fill_params(ngtcp2_transport_params *p, const RcQuicTimeouts *to)
{
	ngtcp2_transport_params_default(p);
	p->initial_max_stream_data_bidi_local = RC_QUIC_STREAM_WINDOW;
	p->initial_max_stream_data_bidi_remote = RC_QUIC_STREAM_WINDOW;
	p->initial_max_stream_data_uni = RC_QUIC_STREAM_WINDOW;
	p->initial_max_data = RC_QUIC_CONN_WINDOW;
	p->initial_max_streams_bidi = RC_QUIC_MAX_STREAMS;
	p->initial_max_streams_uni = RC_QUIC_MAX_STREAMS;
	p->max_idle_timeout = (ngtcp2_duration)to->idle_timeout_us * NGTCP2_MICROSECONDS;
	p->max_udp_payload_size = RC_QUIC_MESH_MAX_UDP_PAYLOAD;
	p->active_connection_id_limit = RC_QUIC_ACTIVE_CID_LIMIT;
	p->disable_active_migration = 1;
	p->max_datagram_frame_size = 0;
}

/* ------------------------------------------------------------ connection life */

static gboolean
conn_timer_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	g_source_set_ready_time(source, -1);
	return callback(user_data);
}

static GSourceFuncs conn_timer_funcs = {
	.dispatch = conn_timer_dispatch,
};

static gboolean conn_on_timer(gpointer user_data);

static RcQuicConn *
conn_new(RcQuicEndpoint *ep, gboolean server, const char *peer_node, const char *peer_service)
{
	RcQuicConn *c = g_new0(RcQuicConn, 1);
	c->ref = 1;
	c->ep = ep;
	c->local_service = g_strdup(ep->service);
	c->to = ep->to;
	c->server = server;
	c->peer_node = g_strdup(peer_node);
	c->peer_service = g_strdup(peer_service);
	c->state = CONN_HANDSHAKE;
	c->stream_id = -1;
	c->cids = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_queue_init(&c->send_chunks);
	g_queue_init(&c->recv_bufs);
	/* one constant synthetic path per connection (streams.md 9, pitfall 10) */
	c->local_sa.sin6_family = AF_INET6;
	c->local_sa.sin6_addr = in6addr_loopback;
	c->local_sa.sin6_port = g_htons(server ? 1 : 2);
	c->remote_sa.sin6_family = AF_INET6;
	c->remote_sa.sin6_addr = in6addr_loopback;
	c->remote_sa.sin6_port = g_htons(server ? 2 : 1);
	c->path.local.addr = (ngtcp2_sockaddr *)&c->local_sa;
	c->path.local.addrlen = sizeof c->local_sa;
	c->path.remote.addr = (ngtcp2_sockaddr *)&c->remote_sa;
	c->path.remote.addrlen = sizeof c->remote_sa;
	c->handshake_idle_deadline_us =
	    g_get_monotonic_time() + c->to.handshake_idle_timeout_us;
	c->timer = g_source_new(&conn_timer_funcs, sizeof(GSource));
	g_source_set_name(c->timer, "rc-quic-conn");
	g_source_set_callback(c->timer, conn_on_timer, c, NULL);
	g_source_attach(c->timer, g_main_context_get_thread_default());
	g_hash_table_add(ep->conns, c);
	if (server)
		ep->n_handshaking++;
	return c;
}

RcQuicConn *
rc_quic_conn_ref(RcQuicConn *c)
{
	g_return_val_if_fail(c != NULL, NULL);
	c->ref++;
	return c;
}

static void
conn_release_engine(RcQuicConn *c)
{
	if (c->timer != NULL) {
		g_source_destroy(c->timer);
		g_clear_pointer(&c->timer, g_source_unref);
	}
	if (c->conn != NULL) {
		ngtcp2_conn_del(c->conn);
		c->conn = NULL;
	}
	if (c->tls != NULL) {
		gnutls_deinit(c->tls);
		c->tls = NULL;
	}
	if (c->tls_state != NULL) {
		if (c->tls_ops != NULL && c->tls_ops->session_free != NULL)
			c->tls_ops->session_free(c->tls_state);
		c->tls_state = NULL;
	}
	if (c->client_cred != NULL) {
		gnutls_certificate_free_credentials(c->client_cred);
		c->client_cred = NULL;
	}
}

void
rc_quic_conn_unref(RcQuicConn *c)
{
	if (c == NULL)
		return;
	g_return_if_fail(c->ref > 0);
	if (--c->ref > 0)
		return;
	g_assert(c->ep == NULL);
	conn_release_engine(c);
	g_ptr_array_unref(c->cids);
	g_queue_clear_full(&c->send_chunks, g_free);
	g_queue_clear_full(&c->recv_bufs, (GDestroyNotify)g_bytes_unref);
	g_clear_error(&c->error);
	g_free(c->verify_error);
	g_free(c->local_service);
	g_free(c->peer_node);
	g_free(c->peer_service);
	g_free(c);
}

static void
conn_arm_timer(RcQuicConn *c)
{
	if (c->timer == NULL)
		return;
	gint64 t = G_MAXINT64;
	if (c->state == CONN_CLOSING) {
		t = c->closing_deadline_us;
	} else if (c->conn != NULL) {
		ngtcp2_tstamp exp = ngtcp2_conn_get_expiry(c->conn);
		if (exp != UINT64_MAX)
			t = (gint64)(exp / NGTCP2_MICROSECONDS);
		if (c->handshake_idle_deadline_us != 0)
			t = MIN(t, c->handshake_idle_deadline_us);
		if (c->accept_deadline_us != 0)
			t = MIN(t, c->accept_deadline_us);
		if (c->linger_deadline_us != 0)
			t = MIN(t, c->linger_deadline_us);
	}
	if (c->tx_blocked && c->state != CONN_CLOSING) {
		/* a due ACK or pacing slot must not spin while the link is full:
		 * rc_quic_endpoint_writable() wakes us, timers still run */
		t = MAX(t, g_get_monotonic_time() + RC_QUIC_TX_BLOCKED_RECHECK_US);
	}
	gint64 cur = g_source_get_ready_time(c->timer);
	if (cur == 0)
		return; /* a write pass is already due */
	gint64 want = t == G_MAXINT64 ? -1 : MAX(t, 0);
	if (cur != want)
		g_source_set_ready_time(c->timer, want);
}

/* Run a write pass (and expiry handling) from the main loop soon. */
static void
conn_schedule(RcQuicConn *c)
{
	/* setting a ready time wakes the context (a syscall): only when it changes */
	if (c->timer != NULL && c->state != CONN_DEAD && g_source_get_ready_time(c->timer) != 0)
		g_source_set_ready_time(c->timer, 0);
}

static void
conn_send_datagram(RcQuicConn *c, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *ep = c->ep;

	if (ep == NULL || ep->closed)
		return;
	if (!ep->ops->send(ep->transport, c->peer_node, c->peer_service, data, len, &error)) {
		if (!c->server && c->pkts_sent == 0 && c->dial_task != NULL) {
			/* only a dial whose first packet cannot leave fails (pitfall 25) */
			g_autofree char *msg =
			    g_strdup_printf("INTERNAL_ERROR (local): %s", error->message);
			conn_terminate(c, conn_error_new(msg), NULL);
			return;
		}
		g_debug("stream to %s:%s: send failed (%s), treated as packet loss",
			c->peer_node, c->peer_service, error->message);
	}
	c->pkts_sent++;
}

/* Dialer may send FIN unless only the 0x00 byte exists and is not yet
 * acknowledged (streams.md pitfall 2). */
static gboolean
conn_fin_allowed(RcQuicConn *c)
{
	if (!c->server && c->written_off == 1 && c->acked_off < 1)
		return FALSE;
	return TRUE;
}

/* The next unsent contiguous bytes of stream 0 (at most one chunk's rest). */
static gsize
conn_unsent_vec(RcQuicConn *c, ngtcp2_vec *vec)
{
	guint64 base = c->send_base;
	for (GList *l = c->send_chunks.head; l != NULL; l = l->next) {
		SendChunk *ch = l->data;
		if (c->sent_off < base + ch->len) {
			gsize off = (gsize)(c->sent_off - base);
			vec->base = ch->data + off;
			vec->len = ch->len - off;
			return 1;
		}
		base += ch->len;
	}
	return 0;
}

static void
conn_write(RcQuicConn *c)
{
	guint8 buf[RC_QUIC_MESH_MAX_UDP_PAYLOAD];
	ngtcp2_tstamp ts = now_ts();
	gboolean stream_blocked = FALSE;
	guint npkts = 0;
	gsize quantum;
	gsize destlen;

	if (c->conn == NULL || c->state == CONN_CLOSING || c->state == CONN_DEAD)
		return;
	/* nothing above 1452 bytes before the peer's transport parameters are
	 * known (streams.md 1.5, pitfall 3); then ngtcp2 caps at the peer's
	 * max_udp_payload_size */
	destlen = RC_QUIC_MAX_UDP_PAYLOAD;
	if (c->hs_confirmed) {
		/* only once Initial/Handshake keys are gone: ngtcp2 pads every
		 * datagram holding a client Initial to the whole buffer */
		const ngtcp2_transport_params *rp = ngtcp2_conn_get_remote_transport_params(c->conn);
		if (rp != NULL && rp->max_udp_payload_size > RC_QUIC_MAX_UDP_PAYLOAD)
			destlen = sizeof buf;
	}
	quantum = ngtcp2_conn_get_send_quantum(c->conn);
	c->tx_blocked = FALSE;
	while (npkts < RC_QUIC_TX_BATCH) {
		ngtcp2_vec vec = { NULL, 0 };
		gsize nvec = 0;
		int64_t sid = -1;
		uint32_t flags = 0;
		gboolean with_fin = FALSE;
		ngtcp2_ssize ndatalen = -1;
		ngtcp2_pkt_info pi;

		if (c->stream_open && !stream_blocked && !c->stop_sending && !c->fin_sent) {
			nvec = conn_unsent_vec(c, &vec);
			with_fin = c->fin_requested && c->sent_off + vec.len == c->written_off &&
				   conn_fin_allowed(c);
			if (nvec > 0 || with_fin) {
				sid = c->stream_id;
				flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
				if (with_fin)
					flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
			}
		}
		if (c->ep != NULL && c->ep->ops->can_send != NULL &&
		    !c->ep->ops->can_send(c->ep->transport, c->peer_node, destlen)) {
			c->tx_blocked = TRUE;
			break;
		}
		memset(&pi, 0, sizeof pi);
		ngtcp2_ssize n = ngtcp2_conn_writev_stream(c->conn, NULL, &pi, buf, destlen,
							   &ndatalen, flags, sid,
							   nvec > 0 ? &vec : NULL, nvec, ts);
		if (ndatalen >= 0 && sid >= 0) {
			c->sent_off += (guint64)ndatalen;
			if (with_fin && (gsize)ndatalen == vec.len)
				c->fin_sent = TRUE;
		}
		if (n < 0) {
			switch (n) {
			case NGTCP2_ERR_WRITE_MORE:
				continue;
			case NGTCP2_ERR_STREAM_SHUT_WR:
				/* ngtcp2 0.12 has no callback for the peer's STOP_SENDING
				 * (its stream_stop_sending callback reports our own
				 * shutdown_read): it resets our send side, so unsent data
				 * can never go.  Writes fail like Go's (streams.md 3.5);
				 * receptor peers only send 499 (CancelRead). */
				if (sid == c->stream_id && !c->fin_sent && !c->stop_sending) {
					c->stop_sending = TRUE;
					c->stop_sending_code = RC_QUIC_APP_CANCEL_READ;
				}
				stream_blocked = TRUE;
				continue;
			case NGTCP2_ERR_STREAM_NOT_FOUND:
				/* closed by ngtcp2 (see stream_close_cb) */
				if (sid == c->stream_id && !c->fin_sent && !c->stop_sending) {
					c->stop_sending = TRUE;
					c->stop_sending_code = RC_QUIC_APP_CANCEL_READ;
				}
				stream_blocked = TRUE;
				continue;
			case NGTCP2_ERR_STREAM_DATA_BLOCKED:
				stream_blocked = TRUE;
				continue;
			default: {
				ngtcp2_connection_close_error ccerr;
				ngtcp2_connection_close_error_default(&ccerr);
				ngtcp2_connection_close_error_set_transport_error_liberr(
				    &ccerr, (int)n, NULL, 0);
				g_autofree char *msg = g_strdup_printf(
				    "INTERNAL_ERROR (local): %s", ngtcp2_strerror((int)n));
				conn_terminate(c, conn_error_new(msg), &ccerr);
				return;
			}
			}
		}
		if (n == 0)
			break;
		conn_send_datagram(c, buf, (gsize)n);
		if (c->state == CONN_DEAD || c->conn == NULL)
			return;
		npkts++;
		if ((gsize)n >= quantum)
			break;
		quantum -= (gsize)n;
	}
	ngtcp2_conn_update_pkt_tx_time(c->conn, ts);
	if (npkts == RC_QUIC_TX_BATCH)
		conn_schedule(c); /* more may be allowed: continue after other sources */
	else
		conn_arm_timer(c);
}

/* The connection is finished both ways and acknowledged: linger, then close
 * normally (streams.md 9 "End of life"). */
static void
conn_check_linger(RcQuicConn *c)
{
	if (c->state != CONN_ESTABLISHED || c->linger_deadline_us != 0)
		return;
	/* ngtcp2 closes the stream once both directions are over: our data
	 * and FIN acknowledged, the peer's FIN (or reset) received */
	gboolean send_done = c->stream_closed;
	gboolean recv_done = c->read_shut || c->reset_received ||
			     (c->recv_fin && c->recv_buffered == 0);
	if (send_done && recv_done) {
		c->linger_deadline_us = g_get_monotonic_time() + c->to.linger_us;
		if (!c->server)
			ngtcp2_conn_set_keep_alive_timeout(c->conn, 0); /* 0 = off (UINT64_MAX overflows in 0.12) */
	}
}

static void
dial_complete(RcQuicConn *c, GError *error)
{
	GTask *task = g_steal_pointer(&c->dial_task);
	if (task == NULL) {
		if (error != NULL)
			g_error_free(error);
		return;
	}
	if (c->dial_cancel_id != 0) {
		g_cancellable_disconnect(c->dial_cancellable, c->dial_cancel_id);
		c->dial_cancel_id = 0;
	}
	g_clear_object(&c->dial_cancellable);
	if (error != NULL)
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, rc_quic_conn_ref(c), (GDestroyNotify)rc_quic_conn_unref);
	g_object_unref(task);
}

/* Final stage: leave the endpoint, free the engine.  The RcQuicConn itself
 * lives on while the application holds references. */
static void
conn_finish(RcQuicConn *c)
{
	RcQuicEndpoint *owned = g_steal_pointer(&c->owned_ep);

	if (c->state == CONN_DEAD)
		return;
	c->state = CONN_DEAD;
	if (c->error == NULL)
		c->error = conn_error_new("connection closed");
	dial_complete(c, g_error_copy(c->error));
	conn_release_engine(c);
	if (c->ep != NULL)
		ep_detach_conn(c->ep, c); /* drops the endpoint's reference: c may be freed */
	if (owned != NULL) {
		rc_quic_endpoint_close(owned);
		rc_quic_endpoint_unref(owned);
	}
}

/* End the connection with `error` (taken) as the stream's terminal error.
 * ccerr NULL = silently; else send CONNECTION_CLOSE and linger in the
 * closing period. */
static void
conn_terminate(RcQuicConn *c, GError *error, const ngtcp2_connection_close_error *ccerr)
{
	if (c->state == CONN_CLOSING || c->state == CONN_DEAD) {
		if (error != NULL)
			g_error_free(error);
		return;
	}
	if (c->error == NULL)
		c->error = error;
	else if (error != NULL)
		g_error_free(error);
	if (c->server && c->state == CONN_HANDSHAKE && c->ep != NULL && c->ep->n_handshaking > 0)
		c->ep->n_handshaking--;
	dial_complete(c, g_error_copy(c->error));

	if (ccerr != NULL && c->conn != NULL && c->ep != NULL && !c->ep->closed &&
	    !ngtcp2_conn_is_in_closing_period(c->conn) &&
	    !ngtcp2_conn_is_in_draining_period(c->conn)) {
		ngtcp2_pkt_info pi;
		memset(&pi, 0, sizeof pi);
		ngtcp2_ssize n = ngtcp2_conn_write_connection_close(
		    c->conn, NULL, &pi, c->close_pkt, sizeof c->close_pkt, ccerr, now_ts());
		if (n > 0) {
			c->close_pkt_len = (gsize)n;
			c->state = CONN_CLOSING;
			c->closing_deadline_us =
			    g_get_monotonic_time() +
			    3 * (gint64)(ngtcp2_conn_get_pto(c->conn) / NGTCP2_MICROSECONDS);
			conn_send_datagram(c, c->close_pkt, c->close_pkt_len);
			if (c->timer != NULL)
				g_source_set_ready_time(c->timer, c->closing_deadline_us);
			return;
		}
	}
	conn_finish(c);
}

static void
conn_close_app(RcQuicConn *c, guint64 code, const char *reason, GError *error)
{
	ngtcp2_connection_close_error ccerr;
	ngtcp2_connection_close_error_default(&ccerr);
	ngtcp2_connection_close_error_set_application_error(&ccerr, code, (const uint8_t *)reason,
							    strlen(reason));
	conn_terminate(c, error, &ccerr);
}

/* Handle what the ngtcp2 callbacks recorded (outside ngtcp2). */
static void
conn_after_ngtcp2(RcQuicConn *c)
{
	if (c->state == CONN_CLOSING || c->state == CONN_DEAD)
		return;
	if (c->ev_handshake_done) {
		c->ev_handshake_done = FALSE;
		c->handshake_idle_deadline_us = 0;
		if (c->server && c->ep != NULL && c->ep->n_handshaking > 0)
			c->ep->n_handshaking--;
		if (!alpn_ok(c)) {
			/* Go: "no application protocol" (streams.md 4.2) */
			ngtcp2_connection_close_error ccerr;
			ngtcp2_connection_close_error_default(&ccerr);
			ngtcp2_connection_close_error_set_transport_error_tls_alert(&ccerr, 120,
										    NULL, 0);
			conn_terminate(c,
				       conn_error_new(c->server
							  ? "CRYPTO_ERROR 0x178 (local): tls: client "
							    "did not request an application protocol"
							  : "CRYPTO_ERROR 0x178 (local): tls: server "
							    "did not select an ALPN protocol"),
				       &ccerr);
			return;
		}
		if (c->server) {
			c->state = CONN_WAIT_STREAM;
			c->accept_deadline_us = g_get_monotonic_time() + c->to.accept_timeout_us;
		} else {
			c->state = CONN_ESTABLISHED;
			c->stream_blocked = TRUE; /* try to open below */
			ngtcp2_conn_set_keep_alive_timeout(
			    c->conn, (ngtcp2_duration)c->to.keepalive_us * NGTCP2_MICROSECONDS);
		}
	}
	if (!c->server && c->state == CONN_ESTABLISHED && !c->stream_open && c->stream_blocked) {
		int64_t sid = -1;
		int rv = ngtcp2_conn_open_bidi_stream(c->conn, &sid, NULL);
		if (rv == 0) {
			g_assert_cmpint(sid, ==, 0); /* the first client bidi stream */
			c->stream_open = TRUE;
			c->stream_blocked = FALSE;
			c->stream_id = sid;
			/* stream-initialisation byte (streams.md 3.3) */
			SendChunk *ch = g_new(SendChunk, 1);
			ch->data[0] = 0x00;
			ch->len = 1;
			g_queue_push_tail(&c->send_chunks, ch);
			c->written_off = 1;
			dial_complete(c, NULL);
		} else if (rv != NGTCP2_ERR_STREAM_ID_BLOCKED) {
			g_autofree char *msg = g_strdup(ngtcp2_strerror(rv));
			conn_close_app(c, RC_QUIC_APP_ACCEPT_FAILED, msg, conn_error_new(msg));
			return;
		}
	}
	if (c->ev_init_error != NULL) {
		const char *reason = c->ev_init_error;
		c->ev_init_error = NULL;
		g_debug("stream from %s:%s refused: %s", c->peer_node, c->peer_service, reason);
		conn_close_app(c, RC_QUIC_APP_ACCEPT_FAILED, reason, conn_error_new(reason));
		return;
	}
	if (c->ev_accept) {
		c->ev_accept = FALSE;
		c->state = CONN_ESTABLISHED;
		c->accept_deadline_us = 0;
		RcQuicEndpoint *ep = c->ep;
		if (ep != NULL && ep->accept != NULL && !ep->closed && !ep->closing) {
			ep->accept(ep->accept_data, c); /* the caller holds a reference on c */
			if (c->state != CONN_ESTABLISHED)
				return;
		}
	}
	conn_check_linger(c);
}

/* Only [A-Za-z0-9.-]: what GnuTLS accepts in a server name (streams.md 4.3). */
static gboolean
dns_name_chars(const char *name)
{
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			return FALSE;
	}
	return TRUE;
}

static void
conn_handle_read_error(RcQuicConn *c, int rv)
{
	ngtcp2_connection_close_error ccerr;

	switch (rv) {
	case NGTCP2_ERR_DRAINING: {
		/* the peer closed (or a stateless reset): no reply */
		ngtcp2_conn_get_connection_close_error(c->conn, &ccerr);
		g_autofree char *msg = close_error_text(&ccerr, TRUE);
		conn_terminate(c, conn_error_new(msg), NULL);
		return;
	}
	case NGTCP2_ERR_DROP_CONN:
	case NGTCP2_ERR_RETRY:
		conn_terminate(c, conn_error_new("connection dropped"), NULL);
		return;
	case NGTCP2_ERR_CRYPTO: {
		guint8 alert = ngtcp2_conn_get_tls_alert(c->conn);
		int tls_err = ngtcp2_conn_get_tls_error(c->conn);
		ngtcp2_connection_close_error_default(&ccerr);
		ngtcp2_connection_close_error_set_transport_error_tls_alert(&ccerr, alert, NULL, 0);
		g_autofree char *msg = NULL;
		const char *verr = c->verify_error;
		if (verr == NULL && c->tls_ops != NULL && c->tls_ops->verify_error != NULL &&
		    c->tls_state != NULL)
			verr = c->tls_ops->verify_error(c->tls_state);
		if (verr != NULL)
			msg = g_strdup_printf("CRYPTO_ERROR %#x (local): %s", 0x100 + alert, verr);
		else if (c->server && (alert == 116 || tls_err == GNUTLS_E_NO_CERTIFICATE_FOUND ||
				       tls_err == GNUTLS_E_CERTIFICATE_REQUIRED))
			/* Go's server text for a missing client certificate (tls.md 3) */
			msg = g_strdup_printf("CRYPTO_ERROR %#x (local): tls: client didn't provide "
					      "a certificate",
					      0x100 + alert);
		else if (alert_text(alert) != NULL)
			msg = g_strdup_printf("CRYPTO_ERROR %#x (local): tls: %s", 0x100 + alert,
					      alert_text(alert));
		else
			msg = g_strdup_printf("CRYPTO_ERROR %#x (local): %s", 0x100 + alert,
					      gnutls_strerror(tls_err));
		/* ngtcp2 0.12's GnuTLS glue never records the GnuTLS error code
		 * (ngtcp2_conn_get_tls_error stays 0), so recognise the SNI case by
		 * its alert: illegal_parameter on an insecure listener from a Go
		 * dialer whose node ID (its SNI) is not a DNS name (streams.md 4.3) */
		if (c->server &&
		    (tls_err == GNUTLS_E_RECEIVED_DISALLOWED_NAME ||
		     (alert == 47 && c->tls_ops == NULL && !dns_name_chars(c->peer_node))))
			rc_log_error("stream from node %s refused: its TLS SNI (the Go dialer's "
				     "node ID) is not a DNS name, which GnuTLS rejects; use a "
				     "node ID of letters, digits, '-' and '.' or a named "
				     "tls-server on the service",
				     c->peer_node);
		else if (c->server)
			/* a refused dialer is worth one line (quic-go says nothing) */
			rc_log_warning("stream from %s:%s refused: %s", c->peer_node,
				       c->peer_service, msg);
		else
			g_debug("stream %s:%s: TLS failure: %s", c->peer_node, c->peer_service,
				msg);
		conn_terminate(c, conn_error_new(msg), &ccerr);
		return;
	}
	default: {
		ngtcp2_connection_close_error_default(&ccerr);
		ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, rv, NULL, 0);
		g_autofree char *msg =
		    g_strdup_printf("PROTOCOL_VIOLATION (local): %s", ngtcp2_strerror(rv));
		conn_terminate(c, conn_error_new(msg), &ccerr);
		return;
	}
	}
}

static void
conn_read(RcQuicConn *c, const guint8 *data, gsize len)
{
	ngtcp2_pkt_info pi;

	if (c->state == CONN_CLOSING) {
		/* answer with the saved close packet (streams.md 9), with
		 * exponential back-off like quic-go (RFC 9000 10.2.1): two closing
		 * peers would otherwise bounce their close packets forever */
		c->closing_rx++;
		if ((c->closing_rx & (c->closing_rx - 1)) == 0)
			conn_send_datagram(c, c->close_pkt, c->close_pkt_len);
		return;
	}
	if (c->state == CONN_DEAD || c->conn == NULL)
		return;
	memset(&pi, 0, sizeof pi);
	rc_quic_conn_ref(c);
	int rv = ngtcp2_conn_read_pkt(c->conn, &c->path, &pi, data, len, now_ts());
	if (rv != 0) {
		conn_handle_read_error(c, rv);
	} else {
		if (c->state == CONN_HANDSHAKE)
			c->handshake_idle_deadline_us =
			    g_get_monotonic_time() + c->to.handshake_idle_timeout_us;
		conn_after_ngtcp2(c);
		conn_schedule(c);
	}
	rc_quic_conn_unref(c);
}

static gboolean
conn_on_timer(gpointer user_data)
{
	RcQuicConn *c = user_data;
	gint64 now = g_get_monotonic_time();

	rc_quic_conn_ref(c);
	if (c->state == CONN_CLOSING) {
		if (now >= c->closing_deadline_us)
			conn_finish(c);
		else
			g_source_set_ready_time(c->timer, c->closing_deadline_us);
		goto done;
	}
	if (c->state == CONN_DEAD || c->conn == NULL)
		goto done;
	if (c->handshake_idle_deadline_us != 0 && now >= c->handshake_idle_deadline_us) {
		/* quic-go HandshakeIdleTimeout: silent (streams.md 3.1) */
		conn_terminate(c, conn_error_new("timeout: no recent network activity"), NULL);
		goto done;
	}
	if (c->accept_deadline_us != 0 && now >= c->accept_deadline_us) {
		conn_close_app(c, RC_QUIC_APP_ACCEPT_FAILED, "Accept Timeout",
			       conn_error_new("Accept Timeout"));
		goto done;
	}
	if (c->linger_deadline_us != 0 && now >= c->linger_deadline_us) {
		conn_close_app(c, RC_QUIC_APP_NORMAL_CLOSE, "normal close",
			       conn_error_new("Application error 0x0 (local): normal close"));
		goto done;
	}
	ngtcp2_tstamp ts = now_ts();
	if (ngtcp2_conn_get_expiry(c->conn) <= ts) {
		int rv = ngtcp2_conn_handle_expiry(c->conn, ts);
		if (rv == NGTCP2_ERR_IDLE_CLOSE) {
			conn_terminate(c, conn_error_new("timeout: no recent network activity"),
				       NULL);
			goto done;
		}
		if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
			conn_terminate(
			    c, conn_error_new("timeout: handshake did not complete in time"), NULL);
			goto done;
		}
		if (rv != 0) {
			ngtcp2_connection_close_error ccerr;
			ngtcp2_connection_close_error_default(&ccerr);
			ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, rv, NULL,
										 0);
			conn_terminate(c, conn_error_new(ngtcp2_strerror(rv)), &ccerr);
			goto done;
		}
	}
	conn_after_ngtcp2(c);
	conn_write(c);
done:
	rc_quic_conn_unref(c);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ endpoint */

static gboolean ep_on_rx(gpointer user_data);

RcQuicEndpoint *
rc_quic_endpoint_new(const char *local_node, const char *service, gboolean listen,
		     const RcQuicTransportOps *ops, gpointer transport_data,
		     const RcQuicTlsOps *tls_ops, gpointer tls_data, const RcQuicTimeouts *timeouts,
		     GError **error)
{
	g_return_val_if_fail(local_node != NULL && service != NULL && ops != NULL, NULL);
	RcQuicEndpoint *ep = g_new0(RcQuicEndpoint, 1);
	ep->ref = 1;
	ep->local_node = g_strdup(local_node);
	ep->service = g_strdup(service);
	ep->listen = listen;
	ep->ops = ops;
	ep->transport = transport_data;
	ep->tls_ops = tls_ops;
	ep->tls_data = tls_data;
	if (timeouts != NULL)
		ep->to = *timeouts;
	if (ep->to.idle_timeout_us <= 0)
		ep->to.idle_timeout_us = RC_QUIC_IDLE_TIMEOUT_US;
	if (ep->to.handshake_idle_timeout_us <= 0)
		ep->to.handshake_idle_timeout_us = RC_QUIC_HANDSHAKE_IDLE_TIMEOUT_US;
	if (ep->to.handshake_timeout_us <= 0)
		ep->to.handshake_timeout_us = RC_QUIC_HANDSHAKE_TIMEOUT_US;
	if (ep->to.keepalive_us <= 0)
		ep->to.keepalive_us = RC_QUIC_KEEPALIVE_US;
	if (ep->to.accept_timeout_us <= 0)
		ep->to.accept_timeout_us = RC_QUIC_ACCEPT_TIMEOUT_US;
	if (ep->to.linger_us <= 0)
		ep->to.linger_us = RC_QUIC_LINGER_US;
	ep->cids = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					 (GDestroyNotify)g_bytes_unref, NULL);
	ep->conns = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_queue_init(&ep->rxq);
	rand_bytes(ep->reset_secret, sizeof ep->reset_secret);
	ep->rx_source = g_source_new(&conn_timer_funcs, sizeof(GSource));
	g_source_set_name(ep->rx_source, "rc-quic-endpoint");
	g_source_set_callback(ep->rx_source, ep_on_rx, ep, NULL);
	g_source_attach(ep->rx_source, g_main_context_get_thread_default());
	return ep;
}

RcQuicEndpoint *
rc_quic_endpoint_ref(RcQuicEndpoint *ep)
{
	g_return_val_if_fail(ep != NULL, NULL);
	ep->ref++;
	return ep;
}

static void
rx_datagram_free(RxDatagram *d)
{
	g_free(d->from_node);
	g_free(d->from_service);
	g_free(d);
}

void
rc_quic_endpoint_unref(RcQuicEndpoint *ep)
{
	if (ep == NULL)
		return;
	g_return_if_fail(ep->ref > 0);
	if (--ep->ref > 0)
		return;
	rc_quic_endpoint_close(ep);
	g_assert(g_hash_table_size(ep->conns) == 0);
	if (ep->rx_source != NULL) {
		g_source_destroy(ep->rx_source);
		g_source_unref(ep->rx_source);
	}
	g_queue_clear_full(&ep->rxq, (GDestroyNotify)rx_datagram_free);
	g_hash_table_unref(ep->cids);
	g_hash_table_unref(ep->conns);
	if (ep->server_cred != NULL)
		gnutls_certificate_free_credentials(ep->server_cred);
	if (ep->tls_ops != NULL && ep->tls_ops->free != NULL)
		ep->tls_ops->free(ep->tls_data);
	g_free(ep->local_node);
	g_free(ep->service);
	g_free(ep);
}

const char *
rc_quic_endpoint_get_service(RcQuicEndpoint *ep)
{
	return ep->service;
}

guint
rc_quic_endpoint_get_n_conns(RcQuicEndpoint *ep)
{
	return g_hash_table_size(ep->conns);
}

void
rc_quic_endpoint_set_accept(RcQuicEndpoint *ep, RcQuicAcceptFunc func, gpointer user_data)
{
	ep->accept = func;
	ep->accept_data = user_data;
}

static void
ep_detach_conn(RcQuicEndpoint *ep, RcQuicConn *c)
{
	for (guint i = 0; i < c->cids->len; i++) {
		GBytes *key = c->cids->pdata[i];
		if (g_hash_table_lookup(ep->cids, key) == c)
			g_hash_table_remove(ep->cids, key);
	}
	g_ptr_array_set_size(c->cids, 0);
	c->ep = NULL;
	if (g_hash_table_remove(ep->conns, c))
		rc_quic_conn_unref(c);
}

void
rc_quic_endpoint_deliver(RcQuicEndpoint *ep, const char *from_node, const char *from_service,
			 const guint8 *data, gsize len)
{
	g_return_if_fail(ep != NULL);
	if (ep->closed || len == 0 || len > RC_QUIC_MESH_MAX_UDP_PAYLOAD * 4)
		return;
	if (g_queue_get_length(&ep->rxq) >= RC_QUIC_RX_QUEUE_MAX)
		return; /* tail drop: QUIC recovers (streams.md 1.4) */
	RxDatagram *d = g_malloc(sizeof(RxDatagram) + len);
	d->from_node = g_strdup(from_node);
	d->from_service = g_strdup(from_service);
	d->len = len;
	memcpy(d->data, data, len);
	g_queue_push_tail(&ep->rxq, d);
	if (g_source_get_ready_time(ep->rx_source) != 0)
		g_source_set_ready_time(ep->rx_source, 0);
}

void
rc_quic_endpoint_receive(RcQuicEndpoint *ep, const char *from_node, const char *from_service,
			 const guint8 *data, gsize len)
{
	g_return_if_fail(ep != NULL);
	if (ep->closed || len == 0 || len > RC_QUIC_MESH_MAX_UDP_PAYLOAD * 4)
		return;
	if (!g_queue_is_empty(&ep->rxq)) {
		/* keep the order of what is already queued */
		rc_quic_endpoint_deliver(ep, from_node, from_service, data, len);
		return;
	}
	RxView v = { from_node, from_service, data, len };
	rc_quic_endpoint_ref(ep);
	ep_handle(ep, &v);
	rc_quic_endpoint_unref(ep);
}

void
rc_quic_endpoint_writable(RcQuicEndpoint *ep)
{
	GHashTableIter it;
	gpointer key;

	g_return_if_fail(ep != NULL);
	g_hash_table_iter_init(&it, ep->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		RcQuicConn *c = key;
		if (c->tx_blocked) {
			c->tx_blocked = FALSE;
			conn_schedule(c);
		}
	}
}

static void
ep_send_version_negotiation(RcQuicEndpoint *ep, const ngtcp2_version_cid *vc, const RxView *d)
{
	guint8 buf[RC_QUIC_MAX_UDP_PAYLOAD];
	const uint32_t versions[] = { NGTCP2_PROTO_VER_V1 };
	guint8 r = 0;
	rand_bytes(&r, 1);
	ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(buf, sizeof buf, r, vc->scid,
							      vc->scidlen, vc->dcid, vc->dcidlen,
							      versions, G_N_ELEMENTS(versions));
	if (n > 0)
		ep->ops->send(ep->transport, d->from_node, d->from_service, buf, (gsize)n, NULL);
}

static RcQuicConn *
ep_accept_initial(RcQuicEndpoint *ep, const RxView *d)
{
	ngtcp2_pkt_hd hd;
	ngtcp2_callbacks cb;
	ngtcp2_settings settings;
	ngtcp2_transport_params params;
	ngtcp2_cid scid;
	g_autoptr(GError) error = NULL;

	if (ngtcp2_accept(&hd, d->data, d->len) != 0)
		return NULL;
	if (d->len < RC_QUIC_MIN_INITIAL_LEN || hd.dcid.datalen < RC_QUIC_MIN_INITIAL_DCID_LEN)
		return NULL;
	if (hd.version != NGTCP2_PROTO_VER_V1)
		return NULL;
	if (ep->n_handshaking >= RC_QUIC_MAX_PENDING_HANDSHAKES ||
	    g_hash_table_size(ep->conns) >= RC_QUIC_MAX_CONNS) {
		g_debug("service %s: too many connections, dropping an Initial from %s:%s",
			ep->service, d->from_node, d->from_service);
		return NULL;
	}
	RcQuicConn *c = conn_new(ep, TRUE, d->from_node, d->from_service);
	fill_callbacks(&cb, TRUE);
	fill_settings(&settings, &ep->to);
	fill_params(&params, &ep->to);
	params.original_dcid = hd.dcid; /* streams.md 4.6: ngtcp2 does not fill it in */
	scid.datalen = RC_QUIC_SCID_LEN;
	rand_bytes(scid.data, scid.datalen);
	params.stateless_reset_token_present = 1;
	ngtcp2_crypto_generate_stateless_reset_token(params.stateless_reset_token,
						     ep->reset_secret, sizeof ep->reset_secret,
						     &scid);
	int rv = ngtcp2_conn_server_new(&c->conn, &hd.scid, &scid, &c->path, hd.version, &cb,
					&settings, &params, NULL, c);
	if (rv != 0) {
		c->conn = NULL;
		conn_terminate(c, conn_error_new(ngtcp2_strerror(rv)), NULL);
		return NULL;
	}
	if (!conn_setup_tls(c, &error)) {
		rc_log_error("service %s: %s", ep->service, error->message);
		conn_terminate(c, conn_error_new(error->message), NULL);
		return NULL;
	}
	conn_add_cid(c, scid.data, scid.datalen);
	conn_add_cid(c, hd.dcid.data, hd.dcid.datalen);
	return c;
}

static void
ep_handle(RcQuicEndpoint *ep, const RxView *d)
{
	ngtcp2_version_cid vc;
	int rv = ngtcp2_pkt_decode_version_cid(&vc, d->data, d->len, RC_QUIC_SCID_LEN);

	if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
		if (ep->listen && d->len >= RC_QUIC_MIN_INITIAL_LEN)
			ep_send_version_negotiation(ep, &vc, d);
		return;
	}
	if (rv != 0 || vc.dcidlen > NGTCP2_MAX_CIDLEN)
		return;
	g_autoptr(GBytes) key = cid_key(vc.dcid, vc.dcidlen);
	RcQuicConn *c = g_hash_table_lookup(ep->cids, key);
	if (c == NULL && ep->listen && (d->data[0] & 0x80) != 0 && vc.version != 0) {
		if (vc.version != NGTCP2_PROTO_VER_V1) {
			if (d->len >= RC_QUIC_MIN_INITIAL_LEN)
				ep_send_version_negotiation(ep, &vc, d);
			return;
		}
		c = ep_accept_initial(ep, d);
	}
	if (c != NULL)
		conn_read(c, d->data, d->len);
	/* unknown short-header packets are dropped (no stateless reset, see
	 * docs/differences.md) */
}

static gboolean
ep_on_rx(gpointer user_data)
{
	RcQuicEndpoint *ep = user_data;

	rc_quic_endpoint_ref(ep);
	for (guint i = 0; i < RC_QUIC_RX_BATCH && !ep->closed; i++) {
		RxDatagram *d = g_queue_pop_head(&ep->rxq);
		if (d == NULL)
			break;
		RxView v = { d->from_node, d->from_service, d->data, d->len };
		ep_handle(ep, &v);
		rx_datagram_free(d);
	}
	if (!ep->closed && !g_queue_is_empty(&ep->rxq))
		g_source_set_ready_time(ep->rx_source, 0);
	rc_quic_endpoint_unref(ep);
	return G_SOURCE_CONTINUE;
}

void
rc_quic_endpoint_unreachable(RcQuicEndpoint *ep, const char *to_node, const char *to_service,
			     const char *problem)
{
	g_return_if_fail(ep != NULL);
	if (g_strcmp0(problem, "service unknown") != 0)
		return; /* other problems are ignored by streams (streams.md 1.7) */
	g_autoptr(GPtrArray) hit = g_ptr_array_new_with_free_func((GDestroyNotify)rc_quic_conn_unref);
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, ep->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		RcQuicConn *c = key;
		if (c->state != CONN_CLOSING && c->state != CONN_DEAD &&
		    g_strcmp0(c->peer_node, to_node) == 0 &&
		    g_strcmp0(c->peer_service, to_service) == 0)
			g_ptr_array_add(hit, rc_quic_conn_ref(c));
	}
	for (guint i = 0; i < hit->len; i++) {
		RcQuicConn *c = hit->pdata[i];
		if (c->dial_task != NULL) {
			/* Go reports the cancelled dial context (streams.md 1.7, 3.4) */
			conn_terminate(c, conn_error_new("context canceled"), NULL);
		} else {
			if (c->state == CONN_ESTABLISHED)
				g_warning("remote service %s to node %s is unreachable", to_service,
					  to_node);
			g_autofree char *msg = g_strdup_printf(
			    "remote service %s to node %s is unreachable", to_service, to_node);
			conn_terminate(c, conn_error_new(msg), NULL);
		}
	}
}

void
rc_quic_endpoint_close(RcQuicEndpoint *ep)
{
	if (ep == NULL || ep->closed || ep->closing)
		return;
	ep->closing = TRUE;
	rc_quic_endpoint_ref(ep);
	g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)rc_quic_conn_unref);
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, ep->conns);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(all, rc_quic_conn_ref(key));
	for (guint i = 0; i < all->len; i++) {
		RcQuicConn *c = all->pdata[i];
		if (c->state == CONN_ESTABLISHED)
			conn_close_app(c, RC_QUIC_APP_NORMAL_CLOSE, "normal close",
				       conn_error_new("listener closed"));
		else if (c->state == CONN_WAIT_STREAM)
			conn_close_app(c, RC_QUIC_APP_ACCEPT_FAILED, "Listener Closed",
				       conn_error_new("listener closed"));
		else
			conn_terminate(c, conn_error_new("listener closed"), NULL);
		/* no closing period once the service is gone */
		conn_finish(c);
	}
	ep->closed = TRUE;
	g_queue_clear_full(&ep->rxq, (GDestroyNotify)rx_datagram_free);
	g_queue_init(&ep->rxq);
	if (ep->ops->close != NULL)
		ep->ops->close(ep->transport);
	rc_quic_endpoint_unref(ep);
}

/* ------------------------------------------------------------ dial */

static gboolean
dial_cancel_idle(gpointer user_data)
{
	RcQuicConn *c = user_data;
	if (c->dial_task != NULL)
		conn_terminate(c,
			       g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED,
						   "context canceled"),
			       NULL);
	return G_SOURCE_REMOVE;
}

static void
dial_cancelled_sched(GCancellable *cancellable, gpointer user_data)
{
	/* may run inside g_cancellable_cancel() anywhere: finish from an idle */
	g_idle_add_full(G_PRIORITY_DEFAULT, dial_cancel_idle, rc_quic_conn_ref(user_data),
			(GDestroyNotify)rc_quic_conn_unref);
}

void
rc_quic_dial_async(RcQuicEndpoint *ep, const char *node, const char *service,
		   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	ngtcp2_callbacks cb;
	ngtcp2_settings settings;
	ngtcp2_transport_params params;
	ngtcp2_cid dcid, scid;

	g_task_set_source_tag(task, rc_quic_dial_async);
	g_return_if_fail(ep != NULL && !ep->listen);
	if (ep->closed) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CLOSED, "endpoint closed");
		return;
	}
	RcQuicConn *c = conn_new(ep, FALSE, node, service);
	c->owned_ep = rc_quic_endpoint_ref(ep);
	c->dial_task = g_object_ref(task);
	fill_callbacks(&cb, FALSE);
	fill_settings(&settings, &ep->to);
	fill_params(&params, &ep->to);
	dcid.datalen = RC_QUIC_CLIENT_DCID_LEN;
	rand_bytes(dcid.data, dcid.datalen);
	scid.datalen = RC_QUIC_SCID_LEN;
	rand_bytes(scid.data, scid.datalen);
	int rv = ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &c->path, NGTCP2_PROTO_VER_V1,
					&cb, &settings, &params, NULL, c);
	if (rv != 0) {
		c->conn = NULL;
		conn_terminate(c, conn_error_new(ngtcp2_strerror(rv)), NULL);
		return;
	}
	if (!conn_setup_tls(c, &error)) {
		conn_terminate(c, conn_error_new(error->message), NULL);
		return;
	}
	conn_add_cid(c, scid.data, scid.datalen);
	if (cancellable != NULL) {
		c->dial_cancellable = g_object_ref(cancellable);
		c->dial_cancel_id = g_cancellable_connect(
		    cancellable, G_CALLBACK(dial_cancelled_sched), c, NULL);
	}
	conn_schedule(c); /* the Initial leaves from the main loop */
}

RcQuicConn *
rc_quic_dial_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* ------------------------------------------------------------ stream I/O */

const char *
rc_quic_conn_get_remote_node(RcQuicConn *c)
{
	return c->peer_node;
}

const char *
rc_quic_conn_get_remote_service(RcQuicConn *c)
{
	return c->peer_service;
}

const char *
rc_quic_conn_get_local_service(RcQuicConn *c)
{
	return c->local_service;
}

gboolean
rc_quic_conn_is_closed(RcQuicConn *c)
{
	return c->state == CONN_CLOSING || c->state == CONN_DEAD;
}

gssize
rc_quic_conn_recv(RcQuicConn *c, guint8 *buf, gsize len, GError **error)
{
	gsize done = 0;

	if (c->read_shut) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "stream read side closed");
		return -1;
	}
	while (done < len) {
		GBytes *b = g_queue_peek_head(&c->recv_bufs);
		if (b == NULL)
			break;
		gsize blen = 0;
		const guint8 *bd = g_bytes_get_data(b, &blen);
		gsize n = MIN(len - done, blen - c->recv_head_off);
		memcpy(buf + done, bd + c->recv_head_off, n);
		done += n;
		c->recv_head_off += n;
		if (c->recv_head_off == blen) {
			g_bytes_unref(g_queue_pop_head(&c->recv_bufs));
			c->recv_head_off = 0;
		}
	}
	if (done > 0) {
		c->recv_buffered -= done;
		if (c->conn != NULL && c->state != CONN_CLOSING && c->state != CONN_DEAD) {
			ngtcp2_conn_extend_max_stream_offset(c->conn, c->stream_id, done);
			ngtcp2_conn_extend_max_offset(c->conn, done);
			conn_check_linger(c);
			conn_schedule(c);
		}
		return (gssize)done;
	}
	if (len == 0)
		return 0;
	if (c->recv_fin)
		return 0;
	if (c->reset_received) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
			    "stream %" G_GINT64_FORMAT " canceled by remote with error code %"
			    G_GUINT64_FORMAT,
			    (gint64)MAX(c->stream_id, 0), c->reset_code);
		return -1;
	}
	if (c->error != NULL) {
		g_propagate_error(error, g_error_copy(c->error));
		return -1;
	}
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "no data yet");
	return -1;
}

static gsize
conn_send_buffered(RcQuicConn *c)
{
	return (gsize)(c->written_off - c->send_base);
}

gssize
rc_quic_conn_send(RcQuicConn *c, const guint8 *buf, gsize len, GError **error)
{
	if (c->error != NULL) {
		g_propagate_error(error, g_error_copy(c->error));
		return -1;
	}
	if (c->stop_sending) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
			    "stream %" G_GINT64_FORMAT " canceled by remote with error code %"
			    G_GUINT64_FORMAT,
			    (gint64)MAX(c->stream_id, 0), c->stop_sending_code);
		return -1;
	}
	if (c->fin_requested) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "stream write side closed");
		return -1;
	}
	gsize room = RC_QUIC_SEND_BUFFER - MIN(RC_QUIC_SEND_BUFFER, conn_send_buffered(c));
	if (room == 0 || !c->stream_open) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "send buffer full");
		return -1;
	}
	gsize done = 0;
	len = MIN(len, room);
	while (done < len) {
		SendChunk *ch = g_queue_peek_tail(&c->send_chunks);
		if (ch == NULL || ch->len == RC_QUIC_SEND_CHUNK) {
			ch = g_new(SendChunk, 1);
			ch->len = 0;
			g_queue_push_tail(&c->send_chunks, ch);
		}
		gsize n = MIN(len - done, RC_QUIC_SEND_CHUNK - ch->len);
		memcpy(ch->data + ch->len, buf + done, n);
		ch->len += n;
		done += n;
	}
	c->written_off += done;
	conn_schedule(c);
	return (gssize)done;
}

gboolean
rc_quic_conn_is_readable(RcQuicConn *c)
{
	return c->recv_buffered > 0 || c->recv_fin || c->reset_received || c->error != NULL ||
	       c->read_shut;
}

gboolean
rc_quic_conn_is_writable(RcQuicConn *c)
{
	if (c->error != NULL || c->stop_sending || c->fin_requested)
		return TRUE;
	return c->stream_open && conn_send_buffered(c) < RC_QUIC_SEND_BUFFER;
}

typedef struct {
	GSource source;
	RcQuicConn *conn;
	GIOCondition condition;
} ConnSource;

static gboolean
conn_source_ready(GSource *source)
{
	ConnSource *s = (ConnSource *)source;
	if ((s->condition & G_IO_IN) && rc_quic_conn_is_readable(s->conn))
		return TRUE;
	if ((s->condition & G_IO_OUT) && rc_quic_conn_is_writable(s->conn))
		return TRUE;
	return FALSE;
}

static gboolean
conn_source_prepare(GSource *source, gint *timeout)
{
	*timeout = -1;
	return conn_source_ready(source);
}

static gboolean
conn_source_check(GSource *source)
{
	return conn_source_ready(source);
}

static gboolean
conn_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	/* as a child of a GPollableSource it has no callback of its own */
	if (callback == NULL)
		return G_SOURCE_CONTINUE;
	return callback(user_data);
}

static void
conn_source_finalize(GSource *source)
{
	ConnSource *s = (ConnSource *)source;
	rc_quic_conn_unref(s->conn);
}

static GSourceFuncs conn_source_funcs = {
	.prepare = conn_source_prepare,
	.check = conn_source_check,
	.dispatch = conn_source_dispatch,
	.finalize = conn_source_finalize,
};

GSource *
rc_quic_conn_create_source(RcQuicConn *c, GIOCondition condition)
{
	GSource *source = g_source_new(&conn_source_funcs, sizeof(ConnSource));
	ConnSource *s = (ConnSource *)source;
	s->conn = rc_quic_conn_ref(c);
	s->condition = condition;
	g_source_set_name(source, "rc-quic-stream");
	return source;
}

void
rc_quic_conn_shutdown_write(RcQuicConn *c)
{
	if (c->fin_requested)
		return;
	c->fin_requested = TRUE;
	conn_schedule(c);
}

void
rc_quic_conn_shutdown_read(RcQuicConn *c)
{
	if (c->read_shut)
		return;
	c->read_shut = TRUE;
	gsize dropped = c->recv_buffered;
	g_queue_clear_full(&c->recv_bufs, (GDestroyNotify)g_bytes_unref);
	g_queue_init(&c->recv_bufs);
	c->recv_buffered = 0;
	c->recv_head_off = 0;
	if (c->conn == NULL || c->state == CONN_CLOSING || c->state == CONN_DEAD)
		return;
	if (c->stream_open && !c->recv_fin && !c->reset_received)
		ngtcp2_conn_shutdown_stream_read(c->conn, c->stream_id, RC_QUIC_APP_CANCEL_READ);
	if (dropped > 0)
		ngtcp2_conn_extend_max_offset(c->conn, dropped);
	conn_check_linger(c);
	conn_schedule(c);
}

void
rc_quic_conn_close(RcQuicConn *c)
{
	if (c->state == CONN_CLOSING || c->state == CONN_DEAD)
		return;
	rc_quic_conn_ref(c);
	conn_close_app(c, RC_QUIC_APP_NORMAL_CLOSE, "normal close",
		       conn_error_new("Application error 0x0 (local): normal close"));
	rc_quic_conn_unref(c);
}
