/* rc-limits.h: every size, count and time limit of the core, one named
 * constant each, with the spec section that fixes or motivates it.
 * Add new limits here (grouped by module) rather than as literals. */
#pragma once

#include <glib.h>

/* ------------------------------------------------------------ wire (rc-wire.c) */

/* Data message header: type, hops, 2 reserved, 2 x 8 node hashes, 2 x 8 service names
 * (wire.md 2.1, 13.2). */
#define RC_WIRE_DATA_HEADER_LEN 36
/* Service names are at most 8 bytes; the wire field is exactly 8 (wire.md 1.2). */
#define RC_WIRE_SERVICE_LEN 8
/* Default hops-to-live of everything Netceptor sends itself (wire.md 7.1, 13.2). */
#define RC_WIRE_DEFAULT_HOPS 30
/* UpdateID and ephemeral service names: 8 chars of [0-9a-zA-Z] (wire.md 2.2, 1.2). */
#define RC_WIRE_UPDATE_ID_LEN 8
/* Largest message a TCP frame can carry: 16-bit length field (wire.md 4, 9.4). */
#define RC_WIRE_TCP_MAX_MESSAGE 65535
/* Largest datagram a UDP dialer sends (Go UDPMaxPacketLen, wire.md 4). */
#define RC_WIRE_UDP_MAX_MESSAGE 65507
/* Per-read buffer of a link (Go NormalBufferSize, wire.md 4, 13.2). */
#define RC_WIRE_READ_BUFFER 65536
/* Largest JSON body the decoders accept. No backend delivers more than 64 KiB
 * (wire.md 4); bodies above this are refused before json-glib sees them. */
#define RC_WIRE_JSON_MAX_BODY (1024 * 1024)
/* JSON nesting depth accepted by the decoders (STYLE.md 4 "cap JSON nesting").
 * The deepest legal body (service ad WorkCommands) has depth 3; json-glib's
 * parser recurses, so deeper input is refused before parsing. */
#define RC_WIRE_JSON_MAX_DEPTH 16
/* Connections per routing update accepted from a peer (wire.md 2.2; STYLE.md 4
 * "cap routes per node"). A 64 KiB message holds at most ~4000 entries. */
#define RC_WIRE_MAX_CONNECTIONS 8192
/* Tags / WorkCommands entries per service advertisement (wire.md 2.3). */
#define RC_WIRE_MAX_TAGS 1024
#define RC_WIRE_MAX_WORK_COMMANDS 1024

/* ------------------------------------------------------- routing (rc-routing.c) */

/* Seen-update retention: 1 h, swept every 30 min (wire.md 6.1, 13.1). */
#define RC_ROUTING_SEEN_EXPIRE_US (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)
#define RC_ROUTING_SEEN_SWEEP_US (G_GINT64_CONSTANT(1800) * G_USEC_PER_SEC)
/* Cap on remembered UpdateIDs between sweeps: one update per node per 10 s over
 * one hour is 360 per node (wire.md 6.2); this allows ~2700 busy nodes. When
 * full, the oldest half is dropped early (a re-seen update is then judged by
 * epoch/sequence, which still rejects it, wire.md 6.4 step 5.1). */
#define RC_ROUTING_MAX_SEEN_UPDATES 1000000
/* Known nodes (outer keys of the known-cost table) kept; they never expire in Go
 * (wire.md 6.1, 6.7). Updates for new nodes beyond this are ignored. */
#define RC_ROUTING_MAX_KNOWN_NODES 65536

/* ------------------------------------------------------ firewall (rc-firewall.c) */

/* Firewall rules per node (config.md 11.3); generous, only bounds start-up work. */
#define RC_FIREWALL_MAX_RULES 4096

/* ------------------------------------------------------- control (rc-control.c) */

/* Longest control command line. Go has no limit; AWX puts whole kubeconfigs
 * into `secret_kube_config`, so stay far above that (control.md 9 Q4). */
#define RC_CONTROL_MAX_LINE (64 * 1024 * 1024)
/* Concurrent control sessions per node (STYLE.md 4 "cap concurrent control
 * sessions"); a connection beyond it is closed at once. */
#define RC_CONTROL_MAX_SESSIONS 1024
/* JSON nesting depth of a command line (STYLE.md 4); json-glib recurses. */
#define RC_CONTROL_JSON_MAX_DEPTH 64
/* Read buffer of a session: bytes after a command line stay here for the
 * next consumer (control.md 2.2).  Small: idle sessions cost little; lines
 * longer than this are collected separately up to RC_CONTROL_MAX_LINE. */
#define RC_CONTROL_READ_BUFFER 4096
/* Bridge buffers of `connect` (control.md 3.5 step 4). */
#define RC_CONTROL_BRIDGE_BUFFER 65536
/* TLS handshake deadline on the TCP control listener (control.md 1.4). */
#define RC_CONTROL_TLS_HANDSHAKE_US (G_GINT64_CONSTANT(10) * G_USEC_PER_SEC)
/* Ping/traceroute maximum hops (control.md 3.2-3.3, wire.md 7.1). */
#define RC_CONTROL_TRACEROUTE_MAX_HOPS 30

/* ------------------------------------------------------ streams (rc-quic.c) */

/* Largest QUIC datagram sent or expected: Go's receive buffer and advertised
 * max_udp_payload_size (streams.md 1.5, 4.8, pitfall 3). */
#define RC_QUIC_MAX_UDP_PAYLOAD 1452
/* Largest QUIC datagram between two receptor-c nodes: both advertise it as
 * max_udp_payload_size and send up to min(own, peer's) once the handshake is
 * done, so a Go peer (1452, which only ever sends 1200) is unaffected and the
 * handshake itself stays within RC_QUIC_MAX_UDP_PAYLOAD.  With the 36-byte
 * data header a full packet is one 16384-byte mesh message, Netceptor's
 * defaultMTU (streams.md 1.5): fewer, larger messages cost less per byte. */
#define RC_QUIC_MESH_MAX_UDP_PAYLOAD (16384 - 36)
/* Smallest client Initial datagram a listener accepts (streams.md 1.5, 8). */
#define RC_QUIC_MIN_INITIAL_LEN 1200
/* Smallest client Initial DCID a listener accepts (streams.md 4.7, 8). */
#define RC_QUIC_MIN_INITIAL_DCID_LEN 8
/* Own connection-ID length (fixed per endpoint for demultiplexing) and the
 * dialer's first DCID length (streams.md 4.7, 9). */
#define RC_QUIC_SCID_LEN 8
#define RC_QUIC_CLIENT_DCID_LEN 18
/* Timeouts (streams.md 2.4, 4.11, 8, 9). */
#define RC_QUIC_IDLE_TIMEOUT_US (G_GINT64_CONSTANT(30) * G_USEC_PER_SEC)
#define RC_QUIC_HANDSHAKE_IDLE_TIMEOUT_US (G_GINT64_CONSTANT(15) * G_USEC_PER_SEC)
#define RC_QUIC_HANDSHAKE_TIMEOUT_US (G_GINT64_CONSTANT(30) * G_USEC_PER_SEC)
#define RC_QUIC_KEEPALIVE_US (G_GINT64_CONSTANT(15) * G_USEC_PER_SEC)
#define RC_QUIC_ACCEPT_TIMEOUT_US (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC)
#define RC_QUIC_LINGER_US (G_GINT64_CONSTANT(30) * G_USEC_PER_SEC)
/* Flow-control windows, quic-go defaults (streams.md 4.6, 8).  The receive
 * buffer of a stream is bounded by RC_QUIC_MAX_STREAM_WINDOW because the
 * window is only extended as the application reads. */
#define RC_QUIC_STREAM_WINDOW 524288
#define RC_QUIC_MAX_STREAM_WINDOW (6 * 1024 * 1024)
#define RC_QUIC_CONN_WINDOW 786432
#define RC_QUIC_MAX_CONN_WINDOW (15 * 1024 * 1024)
/* Incoming stream limits and active_connection_id_limit (streams.md 4.6). */
#define RC_QUIC_MAX_STREAMS 100
#define RC_QUIC_ACTIVE_CID_LIMIT 4
/* Datagrams queued per endpoint before tail drop (streams.md 1.4, pitfall 24). */
#define RC_QUIC_RX_QUEUE_MAX 1024
/* Handshakes in progress per listener; further Initials are dropped (quic-go
 * MaxAcceptQueueSize 32, streams.md 2.5, 8). */
#define RC_QUIC_MAX_PENDING_HANDSHAKES 32
/* Connections per listening endpoint (bounds memory; not a Go limit). */
#define RC_QUIC_MAX_CONNS 4096
/* Unacknowledged + unsent stream bytes kept per stream; writes would block
 * above it (streams.md 9 "the application keeps unacknowledged data"). */
#define RC_QUIC_SEND_BUFFER (1024 * 1024)
#define RC_QUIC_SEND_CHUNK 16384
/* Application error codes (streams.md 3.5, 4.12, 8). */
#define RC_QUIC_APP_NORMAL_CLOSE 0
#define RC_QUIC_APP_CANCEL_READ 499
#define RC_QUIC_APP_ACCEPT_FAILED 500
