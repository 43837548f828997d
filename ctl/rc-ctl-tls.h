/* rc-ctl-tls.h: TLS for receptorctl's tls:// addresses (control.md 5.2,
 * tls.md 8.6), over the core's TLS module. */
#pragma once

#include <gio/gio.h>

/* Run a client handshake over `base` (blocking): chain verified against
 * `rootcas` (nullable: system trust), client certificate when both `cert` and
 * `key` are given, host name checked unless `insecureskipverify`.
 * (transfer full) (nullable) */
GIOStream *rc_ctl_tls_wrap(GIOStream *base, const char *host, const char *rootcas,
			   const char *cert, const char *key, gboolean insecureskipverify,
			   GError **error);
