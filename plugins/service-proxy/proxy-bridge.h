/* proxy-bridge.h: copy bytes both ways between two streams (streams.md 7.1). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

/* Bridge `a` and `b` until both directions have ended.  Each direction reads
 * into its own 65536-byte buffer and writes each chunk in full before reading
 * again (backpressure).  At EOF the destination is half-closed: a mesh stream
 * gets FIN, a socket connection shutdown(SHUT_WR) (streams.md 7.1 allows it;
 * Go closes fully).  An error in either direction closes both streams.  The
 * bridge holds references to both streams until it ends.  `name_a`/`name_b`
 * describe the ends in log lines. */
void proxy_bridge(GIOStream *a, const char *name_a, GIOStream *b, const char *name_b);

/* A string parameter, NULL when absent or empty (transfer full) (nullable). */
char *proxy_param_string(GVariant *params, const char *key);
